// A CA bundle is trusted the way the chart's caBundle value sets it up: NODE_EXTRA_CA_CERTS names
// a PEM file that Node adds to its default store when the process starts. Each provider mints in
// a child process started with and without it, against https fakes signed by a private CA.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOAuthTokenServer } from "../../fakes/google/oauth-token-server.js";
import { makeServiceAccountKey } from "../../fakes/google/service-account-key.js";
import { TokenLedger } from "../../fakes/google/token-ledger.js";
import type { MintOutcome, MintRequest } from "../../support/ca-bundle/mint-once.js";
import { recordShown } from "../../support/leaks/ledger.js";
import { createCertificateAuthority } from "../../support/pki.js";
import { secretSpec as acrSecretSpec, apps, registry, startAcrWorld } from "./acr/fixtures.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const script = "test/support/ca-bundle/mint-once.ts";

/** A provider's https fakes, signed by `ca`, and a request that mints from them without a `ca` option. */
interface PrivateEndpoints {
  ca: string;
  request: MintRequest;
  hosts: string[];
  /** The https origin the first call goes to, which a failure must name. */
  origin: string;
  close(): Promise<void>;
}

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "regcred-ca-bundle-"));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs the mint in a fresh Node process with `environment` added (and no proxy variables). */
function mintInChild(request: MintRequest, environment: Record<string, string>): Promise<MintOutcome> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...environment,
    REGCRED_MINT_REQUEST: JSON.stringify(request),
  };
  for (const name of ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NODE_EXTRA_CA_CERTS"])
    if (!(name in environment)) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], {
      cwd: repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      recordShown("ca-bundle-child", `${stdout}\n${stderr}`);
      if (code !== 0) reject(new Error(`${script} exited with ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as MintOutcome);
    });
  });
}

const providers: [string, () => Promise<PrivateEndpoints>][] = [
  [
    "acr (Entra through @azure/identity, the exchange through its own https client)",
    async () => {
      const world = await startAcrWorld();
      const { ca: _ca, ...options } = world.cloud.options;
      return {
        ca: world.cloud.ca,
        request: {
          provider: "acr",
          options,
          spec: acrSecretSpec(),
          secrets: { "azure-app": { AZURE_CLIENT_SECRET: apps.secret.secret } },
        },
        hosts: [registry],
        origin: new URL(world.cloud.entra.url).origin,
        close: () => world.close(),
      };
    },
  ],
  [
    "gar (the JWT-bearer grant at a private token endpoint, through its own fetch)",
    async () => {
      const authority = await createCertificateAuthority("private corporate CA");
      const serving = await authority.issue({
        commonName: "127.0.0.1",
        ipAddresses: ["127.0.0.1"],
        usage: "server",
      });
      const oauth = await new FakeOAuthTokenServer({ ledger: new TokenLedger() }).start(serving);
      const key = makeServiceAccountKey({ tokenUri: oauth.tokenUrl });
      oauth.registerKey(key.clientEmail, key.publicKey);
      return {
        ca: authority.certPem,
        request: {
          provider: "gar",
          endpoints: {
            stsTokenUrl: "http://127.0.0.1:9/v1/token",
            iamCredentialsUrl: "http://127.0.0.1:9",
            allowedTokenUris: [oauth.tokenUrl],
          },
          spec: { registries: ["europe-west1-docker.pkg.dev"], auth: { secretRef: { name: "gcp-key" } } },
          secrets: { "gcp-key": { "credentials.json": key.text } },
        },
        hosts: ["europe-west1-docker.pkg.dev"],
        origin: new URL(oauth.tokenUrl).origin,
        close: () => oauth.close(),
      };
    },
  ],
];

const childTimeoutMs = 60_000;

describe("a private CA bundle", () => {
  it.each(providers)(
    "lets %s reach endpoints signed by that CA when NODE_EXTRA_CA_CERTS names it",
    async (_name, start) => {
      const endpoints = await start();
      try {
        const file = join(scratch, `ca-${Math.random().toString(36).slice(2)}.pem`);
        writeFileSync(file, endpoints.ca);
        expect(await mintInChild(endpoints.request, { NODE_EXTRA_CA_CERTS: file })).toEqual({
          hosts: endpoints.hosts,
        });
      } finally {
        await endpoints.close();
      }
    },
    // A child Node process loads the SDKs: seconds, more on a loaded machine.
    childTimeoutMs,
  );

  it.each(providers)(
    "leaves %s failing with a message that names the untrusted certificate without it",
    async (_name, start) => {
      const endpoints = await start();
      try {
        const outcome = await mintInChild(endpoints.request, {});
        expect(outcome).toEqual({ error: expect.stringContaining(endpoints.origin) });
        expect(outcome).toEqual({ error: expect.stringContaining("unable to verify the first certificate") });
      } finally {
        await endpoints.close();
      }
    },
    // A child Node process loads the SDKs: seconds, more on a loaded machine.
    childTimeoutMs,
  );
});
