# syntax=docker/dockerfile:1
# Multi-stage build: bundle with the full toolchain, ship the bundle alone. The operator is one
# tree-shaken ESM file with every dependency inlined (scripts/build-operator.ts), plus a chunk per
# cloud SDK loaded when a source first uses it, so the runtime stage has no node_modules.
# The runtime stage's contents (dist/operator/ alone) are exercised without a container engine by
# test/integration/runtime-image.test.ts.

FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.ts scripts/build-operator.ts ./scripts/
COPY src ./src
RUN npm run build:operator

FROM gcr.io/distroless/nodejs24-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
# The V8 heap follows the container's memory limit (Node reads the cgroup's): old space up to half
# of it, the rest left to code, buffers and the young generation. Small semi-spaces keep the
# young generation from growing to 32 MB under a burst of writes.
ENV NODE_OPTIONS="--max-old-space-size-percentage=50 --max-semi-space-size=2"
# Two glibc malloc arenas instead of up to 8 per core for Node's threads: 4–6 MB less RSS at
# 5,000 namespaces (12 MB off one rotation's peak), convergence unchanged (docs/benchmarks.md,
# "Memory steps").
ENV MALLOC_ARENA_MAX=2
COPY --from=build /src/dist/operator ./dist/operator
# Numeric user so Pod Security `restricted` (runAsNonRoot) can verify it; nothing is written at runtime.
USER 65532:65532
EXPOSE 8080 9443
ENTRYPOINT ["/nodejs/bin/node", "dist/operator/main.mjs"]
