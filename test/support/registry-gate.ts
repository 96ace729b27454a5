// A front for a test registry that admits only the logins a check approves: for a registry "behind
// the fake ECR", a password the fake issued whose token has not expired. Admitted requests go on
// to the registry with its own login; anything else gets 401 and a Basic challenge, as a registry
// that checks tokens answers. So an expired Secret really fails a pull. Optionally, an admitted
// login is denied (403 DENIED, as ECR answers an identity without pull permission) the paths a
// second check names, e.g. one repository.
import { createHash } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface RegistryGate {
  /** 127.0.0.1:PORT, to serve the gated registry from. */
  readonly host: string;
  /** Fingerprints (not values) of the passwords admitted so far, in order of first use. */
  readonly admitted: string[];
  /**
   * How many requests presenting a login were refused (a client's first, anonymous request is
   * always challenged, so those are not counted).
   */
  refusedLogins(): number;
  stop(): Promise<void>;
}

function basicLogin(request: IncomingMessage): { username: string; password: string } | undefined {
  const match = /^Basic (.+)$/i.exec(request.headers.authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The fingerprint `admitted` lists for a password. */
export const fingerprint = (password: string) =>
  createHash("sha256").update(password).digest("hex").slice(0, 12);

/**
 * Starts a gate on a free loopback port in front of the registry at `upstream` (host:port, which
 * accepts `upstreamLogin`), admitting requests whose Basic login `accepts` approves at that moment,
 * except that requests of an admitted login for a path `denies` approves (e.g.
 * `/v2/team/private/manifests/1`) get 403 DENIED.
 */
export async function startRegistryGate(
  upstream: string,
  upstreamLogin: { username: string; password: string },
  accepts: (username: string, password: string) => boolean,
  denies: (path: string) => boolean = () => false,
): Promise<RegistryGate> {
  const admitted: string[] = [];
  let refused = 0;
  const upstreamAuth = `Basic ${Buffer.from(`${upstreamLogin.username}:${upstreamLogin.password}`).toString("base64")}`;
  const server = createServer((request, response) => {
    const login = basicLogin(request);
    if (!login || !accepts(login.username, login.password)) {
      if (login) refused += 1;
      response.writeHead(401, {
        "WWW-Authenticate": 'Basic realm="regcred-gate"',
        "Docker-Distribution-API-Version": "registry/2.0",
        "Content-Type": "application/json",
      });
      response.end(
        JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }),
      );
      return;
    }
    if (denies(request.url ?? "/")) {
      response.writeHead(403, {
        "Docker-Distribution-API-Version": "registry/2.0",
        "Content-Type": "application/json",
      });
      response.end(
        JSON.stringify({ errors: [{ code: "DENIED", message: "not authorized to pull this repository" }] }),
      );
      return;
    }
    const seen = fingerprint(login.password);
    if (!admitted.includes(seen)) admitted.push(seen);
    const forwarded = httpRequest(
      {
        host: upstream.split(":")[0],
        port: Number(upstream.split(":")[1]),
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: upstream, authorization: upstreamAuth },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on("error", () => response.destroy());
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    admitted,
    refusedLogins: () => refused,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
