// How ESO reaches the fake ECR. ESO v0.16's ECR generator builds an AWS SDK v1 client whose
// endpoint resolver overrides only Secrets Manager, SSM and STS (pkg/provider/aws/auth/resolver.go),
// and SDK v1 has no AWS_ENDPOINT_URL_ECR: it always calls https://api.ecr.<region>.amazonaws.com.
// So ESO runs in a private mount namespace whose /etc/hosts names a loopback address for that host,
// where a TLS front (certificate from a throwaway CA, the only one ESO trusts) passes
// every request unchanged, Host header and SigV4 signature included, to the fake ECR's plain HTTP.
// (SDK v1 reads AWS_CA_BUNDLE before the system roots; ESO gets both pointed at that CA.)
// Nothing leaves the machine: the front forwards only to the fake.
import { randomInt } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCertificateAuthority } from "../../test/support/pki.js";

export interface EcrFront {
  /** The real ECR API host ESO calls, e.g. api.ecr.eu-west-1.amazonaws.com. */
  host: string;
  /** The loopback address the front listens on (port 443). */
  address: string;
  /** A copy of /etc/hosts plus `address host`, to bind-mount over /etc/hosts in ESO's namespace. */
  hostsFile: string;
  /** PEM of the CA that issued the front's certificate: ESO's whole trust store. */
  caFile: string;
  /** A directory holding only caFile (SSL_CERT_DIR, so Go adds no system roots). */
  caDir: string;
  /** Requests forwarded so far. */
  forwarded(): number;
  close(): Promise<void>;
}

/** Starts the TLS front for `region` that forwards to `fakeEndpoint` (http://127.0.0.1:PORT). */
export async function startEcrFront(region: string, fakeEndpoint: string): Promise<EcrFront> {
  const host = `api.ecr.${region}.amazonaws.com`;
  const ca = await createCertificateAuthority("regcred bench ESO front CA");
  const serving = await ca.issue({ commonName: host, usage: "server", dnsNames: [host] });
  const target = new URL(fakeEndpoint);
  let count = 0;
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (incoming, outgoing) => {
    count++;
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on("error", (error) => {
      outgoing.writeHead(502, { "content-type": "text/plain" });
      outgoing.end(`front could not reach the fake ECR: ${error.message}`);
    });
    incoming.pipe(upstream);
  });
  const address = await listenOnSomeLoopback(server);
  const dir = mkdtempSync(join(tmpdir(), "regcred-eso-front-"));
  const hostsFile = join(dir, "hosts");
  writeFileSync(hostsFile, `${readFileSync("/etc/hosts", "utf8").trimEnd()}\n${address} ${host}\n`);
  const caDir = join(dir, "trust");
  mkdirSync(caDir);
  const caFile = join(caDir, "ca.pem");
  writeFileSync(caFile, ca.certPem);
  return {
    host,
    address,
    hostsFile,
    caFile,
    caDir,
    forwarded: () => count,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Listens on port 443 of a random 127.77.x.y (another run may hold one); resolves with the address. */
async function listenOnSomeLoopback(server: Server): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const address = `127.77.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(443, address, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return address;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 20) throw error;
    }
  }
}
