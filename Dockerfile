# syntax=docker/dockerfile:1
# Multi-stage build: compile with the full toolchain, ship production dependencies only.
# The runtime stage's contents (package.json, package-lock.json, dist/, `npm ci --omit=dev`) are
# exercised without a container engine by test/integration/helm-chart.test.ts.

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-slim AS production-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=production-deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# Numeric user so Pod Security `restricted` (runAsNonRoot) can verify it; nothing is written at runtime.
USER 65532:65532
EXPOSE 8080 9443
ENTRYPOINT ["/nodejs/bin/node", "dist/main.js"]
