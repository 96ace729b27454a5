import { createServer } from "node:net";

/** Ports freePort() handed out in this process: it never hands out one twice. */
const handedOut = new Set<number>();

/**
 * Asks the kernel for a free loopback TCP port that this process has not been handed before (a
 * port handed out but not yet bound by its user would otherwise come back). Another process may
 * take it before it is used.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await kernelPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error("the kernel kept offering ports this process was handed already");
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}
