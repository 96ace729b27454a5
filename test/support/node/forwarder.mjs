// A TCP forwarder between network namespaces: listens on TCP and connects to a Unix socket, or
// the other way round. Unix sockets live in the filesystem, which every network namespace shares,
// so a pair of forwarders joins a port inside the node's namespace to one on the host's loopback
// (the host's loopback is not routable from the namespace). Run as a child:
//   node forwarder.mjs tcp:HOST:PORT unix:PATH    (or unix:PATH tcp:HOST:PORT)
// Prints "listening" (and the TCP port, e.g. "listening 41234", useful with port 0) once it accepts
// connections; exits on SIGTERM.
import { createConnection, createServer } from "node:net";

/** @param {string} spec */
function parse(spec) {
  if (spec.startsWith("unix:")) return { path: spec.slice(5) };
  const match = /^tcp:(.+):(\d+)$/.exec(spec);
  if (!match) throw new Error(`not tcp:HOST:PORT or unix:PATH: ${spec}`);
  return { host: match[1], port: Number(match[2]) };
}

const [listenSpec, targetSpec] = process.argv.slice(2);
if (!listenSpec || !targetSpec) {
  process.stderr.write("usage: forwarder LISTEN TARGET (tcp:HOST:PORT or unix:PATH)\n");
  process.exit(2);
}
const listen = parse(listenSpec);
const target = parse(targetSpec);

const server = createServer((inbound) => {
  const outbound = createConnection(target);
  inbound.pipe(outbound).pipe(inbound);
  const close = () => {
    inbound.destroy();
    outbound.destroy();
  };
  inbound.on("error", close);
  outbound.on("error", close);
});
server.on("error", (error) => {
  process.stderr.write(`forwarder ${listenSpec}: ${error.message}\n`);
  process.exit(1);
});
server.listen(listen, () => {
  const address = server.address();
  process.stdout.write(
    typeof address === "object" && address ? `listening ${address.port}\n` : "listening\n",
  );
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
