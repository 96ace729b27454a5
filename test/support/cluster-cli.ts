// `npm run cluster -- --kubeconfig <path>`: starts a local control plane, writes an admin
// kubeconfig to <path>, and serves until Ctrl-C, then stops every process it started.
import { parseArgs } from "node:util";
import { ensureControlPlaneBinary, kubectlPath } from "./controlplane/build.js";
import { startControlPlane } from "./controlplane/controlplane.js";
import { onTerminationSignal } from "./controlplane/processes.js";
import { startNode } from "./node/start-node.js";

const usage = `usage: npm run cluster -- --kubeconfig <path> [--node] [--keep-dir]

Starts etcd, kube-apiserver and kube-controller-manager on loopback (building them from the
Go module proxy on first use), writes an admin kubeconfig to <path>, and stays in the foreground
until Ctrl-C. With --node (needs root), also a node: kubelet and containerd in a network namespace
of their own, and kube-scheduler.`;

function parse() {
  try {
    return parseArgs({
      options: {
        kubeconfig: { type: "string" },
        "keep-dir": { type: "boolean", default: false },
        node: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

const args = parse();
if (args.help) {
  console.log(usage);
  process.exit(0);
}
if (!args.kubeconfig) {
  console.error(`--kubeconfig is required\n\n${usage}`);
  process.exit(2);
}

const log = (line: string) => console.error(`[cluster] ${line}`);
try {
  const cluster = await startControlPlane({ report: log, keepDir: args["keep-dir"] });
  cluster.writeKubeconfig(args.kubeconfig);
  onTerminationSignal(async () => log("stopping"));
  const node = args.node
    ? await startNode({
        kubeconfigPath: cluster.kubeconfigPath,
        controlPlaneBinary: await ensureControlPlaneBinary(log),
        report: log,
      })
    : undefined;
  const kubectl = await kubectlPath();
  console.log(`
Kubernetes ${cluster.version} is serving at ${cluster.server}
Admin kubeconfig: ${args.kubeconfig}

  kubectl --kubeconfig ${args.kubeconfig} get namespaces
  export KUBECONFIG=${args.kubeconfig}

A kubectl of the same version is at ${kubectl}
Component logs and data: ${cluster.dir}${node ? `\nNode ${node.name} (network namespace ${node.netns}): ${node.dir}` : ""}
Press Ctrl-C to stop.`);
} catch (error) {
  log(`failed: ${(error as Error).message}`);
  process.exit(1);
}
// The process stays alive while the components run; Ctrl-C runs the registered cleanup.
setInterval(() => {}, 1 << 30);
