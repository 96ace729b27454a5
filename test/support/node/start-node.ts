// A real node for the test control plane: kubelet and containerd (with runc and the CNI bridge)
// inside a network namespace the harness owns, and kube-scheduler beside the control plane. The
// node's iptables rules, bridge and sysctls all live in that namespace, so the host's are never
// touched and deleting the namespace removes them. Ports cross from the host's loopback into the
// namespace through Unix-socket forwarders (forwarder.mjs). The host reaches the pod network (and
// the kubelet) the other way over a veth pair into the namespace and one route to its subnet, as
// the apiserver must to call a webhook Service's endpoints; both go with the namespace. One node
// runs per machine at a time (a lock): kubelets share host paths and cgroups that teardown removes.
// The kubelet serves anonymously (AlwaysAllow) on the pod network's gateway, which only this
// machine reaches: fine for a test node, never for a real one.
import { spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as k8s from "@kubernetes/client-node";
import type { ProgressReporter } from "../controlplane/build.js";
import { freePort } from "../controlplane/ports.js";
import { type ManagedProcess, onTerminationSignal, startProcess } from "../controlplane/processes.js";
import { toolPath } from "../tools.js";
import { waitFor } from "../wait.js";
import {
  cniBinDir,
  containerdConfig,
  kubeletConfig,
  type PodNetwork,
  podNetwork,
  registryHostsToml,
} from "./node-config.js";
import { pauseImageArchive } from "./pause-image.js";

const forwarderScript = fileURLToPath(new URL("./forwarder.mjs", import.meta.url));

/** Thrown when this machine cannot run a node (not root, a missing tool); the message says why. */
export class NodeUnavailableError extends Error {
  override name = "NodeUnavailableError";
}

export interface NodeOptions {
  /** The control plane's admin kubeconfig (its server is https://127.0.0.1:PORT). */
  kubeconfigPath: string;
  /** The multi-call control-plane binary (it runs kubelet and kube-scheduler). */
  controlPlaneBinary: string;
  report?: ProgressReporter;
}

export interface MirrorOptions {
  /** Speak https to the registry, trusting this CA (PEM file). */
  caFile?: string;
  samePort?: boolean;
  /**
   * Configure it as containerd configures a pull-through mirror: `upstream` (e.g.
   * https://registry-1.docker.io) stays the server, tried when the mirror fails.
   */
  upstream?: string;
}

export interface KubeNode {
  /** The Node object's name. */
  readonly name: string;
  /** The network namespace the node runs in. */
  readonly netns: string;
  /** Its pod network, which this machine routes to. */
  readonly network: PodNetwork;
  /** Per-node state: configs, logs, containerd and kubelet roots. */
  readonly dir: string;
  /**
   * Makes the node pull images named `registryName` (e.g. an ECR host) from `hostPort` on this
   * machine's loopback, over plain HTTP, or over https trusting `caFile`. With `samePort`, the
   * node reaches it at 127.0.0.1 and the same port as this machine does, so URLs the registry
   * hands out (a token realm) work on both. Takes effect for the next pull.
   */
  mirror(registryName: string, hostPort: string, options?: MirrorOptions): Promise<void>;
  /**
   * Makes `hostPort` on this machine's loopback reachable from pods, at the returned
   * gateway-address:port of the pod network.
   */
  expose(hostPort: string): Promise<string>;
  /**
   * Stops the node and removes what it made: pods, processes, mounts, cgroups, the namespace
   * (with its bridge, iptables rules and sysctls), the kubelet's fixed host paths, the Node
   * object and `dir`. Idempotent; never throws.
   */
  stop(): Promise<void>;
}

/** Runs a command to completion; throws with its output when it fails. */
function must(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: "utf8" });
  if (result.error || result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr.trim()}`);
  return result.stdout;
}

/** Runs a command for cleanup: failures are ignored. */
function tryRun(command: string, args: string[]): void {
  spawnSync(command, args, { encoding: "utf8" });
}

function requireNodePrerequisites(): void {
  if (process.getuid?.() !== 0)
    throw new NodeUnavailableError("a node needs root (kubelet, containerd, netns)");
  for (const plugin of ["bridge", "host-local", "loopback"])
    if (!existsSync(join(cniBinDir, plugin)))
      throw new NodeUnavailableError(
        `the CNI plugin ${plugin} is missing from ${cniBinDir}: apt-get install containernetworking-plugins`,
      );
}

/**
 * Starts a node, waits until it is Ready and schedulable, and resolves. Throws
 * NodeUnavailableError when the machine cannot run one, or an Error with the failing component's
 * log tail; either way nothing is left behind.
 */
export async function startNode(options: NodeOptions): Promise<KubeNode> {
  requireNodePrerequisites();
  const report = options.report ?? (() => {});
  const releaseLock = await acquireNodeLock(report);
  const id = randomBytes(3).toString("hex");
  const name = `node-${id}`;
  const netns = `regcred-${id}`;
  let network: PodNetwork;
  try {
    network = podNetwork(freePodNetworkNumber());
  } catch (error) {
    releaseLock();
    throw error;
  }
  const hostLink = `rc-${id}`;
  const dir = mkdtempSync(join(tmpdir(), `regcred-node-${id}-`));
  const processes: ManagedProcess[] = [];
  const log = (component: string) => join(dir, "logs", `${component}.log`);
  mkdirSync(join(dir, "logs"));
  const inNetns = (component: string, command: string, args: string[]) => {
    const child = startProcess(
      component,
      "nsenter",
      [`--net=/run/netns/${netns}`, command, ...args],
      log(component),
    );
    processes.push(child);
    return child;
  };
  const onHost = (component: string, command: string, args: string[]) => {
    const child = startProcess(component, command, args, log(component));
    processes.push(child);
    return child;
  };
  // The kubelet writes a few fixed host paths whatever its flags; teardown removes the ones it made.
  const hostPathsMade = kubeletHostPaths.filter((path) => !existsSync(path));
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(options.kubeconfigPath);
  const core = kc.makeApiClient(k8s.CoreV1Api);

  /**
   * Joins `hostTarget` on the host to each of `namespaceListens` inside the namespace (port 0: one
   * the kernel picks there), and returns the ports listened on.
   */
  const forward = async (label: string, hostTarget: string, namespaceListens: string[]) => {
    const socket = join(dir, `${label}.sock`);
    await listening(
      onHost(`forward-${label}-host`, process.execPath, [forwarderScript, `unix:${socket}`, hostTarget]),
    );
    const ports: number[] = [];
    for (const [i, listen] of namespaceListens.entries())
      ports.push(
        await listening(
          inNetns(`forward-${label}-${i}`, process.execPath, [forwarderScript, listen, `unix:${socket}`]),
        ),
      );
    return ports;
  };
  let mirrors = 0;
  const mirror = async (registryName: string, hostPort: string, options: MirrorOptions = {}) => {
    const listen = `tcp:127.0.0.1:${options.samePort ? (hostPort.split(":")[1] ?? "0") : "0"}`;
    const [port] = await forward(`registry-${mirrors++}`, `tcp:${hostPort}`, [listen]);
    const hosts = join(dir, "containerd", "certs.d", registryName);
    mkdirSync(hosts, { recursive: true });
    const scheme = options.caFile ? "https" : "http";
    writeFileSync(
      join(hosts, "hosts.toml"),
      registryHostsToml(`${scheme}://127.0.0.1:${port}`, options.caFile, options.upstream),
    );
  };

  let exposed = 0;
  const expose = async (hostPort: string) => {
    const [port] = await forward(`exposed-${exposed++}`, `tcp:${hostPort}`, [`tcp:${network.gateway}:0`]);
    return `${network.gateway}:${port}`;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await teardown({ dir, netns, hostLink, name, processes, core, hostPathsMade });
    releaseLock();
  };
  const unregister = onTerminationSignal(stop);

  try {
    must("ip", ["netns", "add", netns]);
    must("ip", ["-n", netns, "link", "set", "lo", "up"]);
    // The pod bridge: the gateway address first (the bridge plugin insists), then the Service IP
    // the pods' in-cluster config dials.
    must("ip", ["-n", netns, "link", "add", network.bridge, "type", "bridge"]);
    must("ip", ["-n", netns, "addr", "add", `${network.gateway}/24`, "dev", network.bridge]);
    must("ip", ["-n", netns, "addr", "add", `${network.serviceIp}/32`, "dev", network.bridge]);
    must("ip", ["-n", netns, "link", "set", network.bridge, "up"]);
    // The host's way in: a veth pair (deleting the namespace deletes both ends, and the route).
    must("ip", ["link", "add", hostLink, "type", "veth", "peer", "name", "host0", "netns", netns]);
    must("ip", ["addr", "add", `${network.link.host}/30`, "dev", hostLink]);
    must("ip", ["link", "set", hostLink, "up"]);
    must("ip", ["-n", netns, "addr", "add", `${network.link.namespace}/30`, "dev", "host0"]);
    must("ip", ["-n", netns, "link", "set", "host0", "up"]);
    must("ip", ["route", "add", network.subnet, "via", network.link.namespace, "dev", hostLink]);
    must("ip", ["netns", "exec", netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"]);

    // The apiserver, at the address the kubeconfig names (for the kubelet) and at the kubernetes
    // Service IP (for pods); each registry at 127.0.0.1:PORT in the namespace.
    const apiPort = Number(new URL(kc.getCurrentCluster()?.server ?? "").port);
    await forward("apiserver", `tcp:127.0.0.1:${apiPort}`, [
      `tcp:127.0.0.1:${apiPort}`,
      `tcp:${network.serviceIp}:443`,
    ]);
    report(`starting containerd in network namespace ${netns}`);
    const containerdDir = join(dir, "containerd");
    mkdirSync(join(containerdDir, "certs.d"), { recursive: true });
    writeFileSync(join(containerdDir, "config.toml"), containerdConfig(dir, toolPath("runc")));
    // containerd finds its shim on PATH: the tools directory holds both.
    const tools = dirname(toolPath("containerd-shim-runc-v2"));
    const containerd = inNetns("containerd", "env", [
      `PATH=${tools}:${process.env.PATH ?? ""}`,
      toolPath("containerd"),
      "--config",
      join(containerdDir, "config.toml"),
    ]);
    const socket = join(containerdDir, "containerd.sock");
    await waitFor("containerd's socket", async () => existsSync(socket), {
      timeoutMs: 30_000,
      abort: () => (containerd.hasExited() ? `containerd exited:\n${containerd.logTail()}` : undefined),
    });
    must(toolPath("ctr"), ["-a", socket, "-n", "k8s.io", "images", "import", pauseImageArchive(dir)]);

    report(`starting the kubelet (node ${name})`);
    mkdirSync(join(dir, "cni", "net.d"), { recursive: true });
    writeFileSync(join(dir, "cni", "net.d", "10-regcred.conflist"), network.conflist(dir));
    writeFileSync(join(dir, "kubelet.yaml"), kubeletConfig(dir, network));
    const kubelet = inNetns("kubelet", options.controlPlaneBinary, [
      "kubelet",
      `--config=${join(dir, "kubelet.yaml")}`,
      `--kubeconfig=${options.kubeconfigPath}`,
      `--hostname-override=${name}`,
      `--node-ip=${network.gateway}`,
      `--root-dir=${join(dir, "kubelet")}`,
      `--cert-dir=${join(dir, "kubelet-pki")}`,
      `--volume-plugin-dir=${join(dir, "volume-plugins")}`,
      "--v=1",
    ]);
    const schedulerPort = await freePort();
    onHost("kube-scheduler", options.controlPlaneBinary, [
      "kube-scheduler",
      `--kubeconfig=${options.kubeconfigPath}`,
      `--authentication-kubeconfig=${options.kubeconfigPath}`,
      `--authorization-kubeconfig=${options.kubeconfigPath}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${schedulerPort}`,
      "--leader-elect=false",
    ]);
    await waitFor(
      `node ${name} to be Ready`,
      async () => {
        const node = await core.readNode({ name }).catch(() => undefined);
        return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
      },
      {
        timeoutMs: 60_000,
        abort: () => (kubelet.hasExited() ? `the kubelet exited:\n${kubelet.logTail()}` : undefined),
      },
    );
    // No node-lifecycle controller runs in the test control plane to lift the not-ready taint.
    const node = await core.readNode({ name });
    const taints = (node.spec?.taints ?? []).filter((t) => t.key !== "node.kubernetes.io/not-ready");
    await core.patchNode(
      { name, body: [{ op: "replace", path: "/spec/taints", value: taints }] },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch),
    );
    report(`node ${name} Ready`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, netns, network, dir, mirror, expose, stop };
}

/**
 * Resolves once a forwarder prints "listening", with the TCP port it listens on (0 for a Unix
 * socket); throws with its log if it exits first.
 */
async function listening(child: ManagedProcess): Promise<number> {
  let port = 0;
  await waitFor(
    `${child.name} to listen`,
    async () => {
      const match = /^listening(?: (\d+))?$/m.exec(child.logTail());
      port = Number(match?.[1] ?? 0);
      return match !== null;
    },
    {
      timeoutMs: 10_000,
      abort: () => (child.hasExited() ? `${child.name} exited:\n${child.logTail()}` : undefined),
    },
  );
  return port;
}

async function teardown(node: {
  dir: string;
  netns: string;
  hostLink: string;
  name: string;
  processes: ManagedProcess[];
  core: k8s.CoreV1Api;
  hostPathsMade: string[];
}): Promise<void> {
  const { dir, netns, hostLink, name, processes, core, hostPathsMade } = node;
  const byName = (component: string) => processes.find((p) => p.name === component);
  await byName("kube-scheduler")?.stop(5_000);
  await byName("kubelet")?.stop(10_000);
  const socket = join(dir, "containerd", "containerd.sock");
  if (existsSync(socket)) tryRun(toolPath("crictl"), ["-r", `unix://${socket}`, "rmp", "-fa"]);
  await byName("containerd")?.stop(10_000);
  // Shims outlive containerd by design; theirs are the ones whose -address is under dir.
  tryRun("pkill", ["-KILL", "-f", `containerd-shim-runc-v2 .*-address ${dir}/`]);
  for (const child of processes) await child.stop(2_000);
  const mounts = spawnSync("findmnt", ["-rn", "-o", "TARGET"], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((target) => target.startsWith(`${dir}/`))
    .sort()
    .reverse();
  for (const target of mounts) {
    const result = spawnSync("umount", [target]);
    if (result.status !== 0) tryRun("umount", ["-l", target]);
  }
  for (const hierarchy of readdirSync("/sys/fs/cgroup"))
    removeCgroupTree(join("/sys/fs/cgroup", hierarchy, "kubepods"));
  tryRun("ip", ["netns", "del", netns]);
  tryRun("ip", ["link", "del", hostLink]);
  rmSync("/var/lib/kubelet/device-plugins/kubelet.sock", { force: true });
  for (const result of readdirSafe("/var/lib/cni/results"))
    if (result.startsWith("regcred-") || result.startsWith("cni-loopback-"))
      rmSync(join("/var/lib/cni/results", result), { force: true });
  for (const link of readdirSafe("/var/log/containers")) {
    const path = join("/var/log/containers", link);
    if (readlinkSafe(path)?.startsWith(`${dir}/`)) rmSync(path, { force: true });
  }
  for (const path of hostPathsMade) rmSync(path, { recursive: true, force: true });
  await core.deleteNode({ name }).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A pod network number whose subnet and link net no route on this machine covers or splits
 * (a cluster's 10.244.0.0/16 included), picked at random among those.
 */
function freePodNetworkNumber(): number {
  const routed = (prefix: string) =>
    ["match", "root"].some((how) =>
      must("ip", ["-4", "-o", "route", "show", how, prefix])
        .split("\n")
        .some((line) => line.trim() !== "" && !line.startsWith("default")),
    );
  const free = Array.from({ length: 250 }, (_, i) => i + 1).filter(
    (n) => !routed(`10.244.${n}.0/24`) && !routed(`10.243.${n}.0/30`),
  );
  if (free.length > 0) return free[randomInt(free.length)] as number;
  throw new NodeUnavailableError("every pod network 10.244.1-250.0/24 is routed already");
}

const nodeLock = "/run/regcred-node.lock";

/**
 * Takes this machine's node lock, waiting (with one progress line) while another live process
 * holds it: kubelets share host paths (/var/lib/kubelet, the kubepods cgroups) that teardown
 * removes, so one node runs per machine at a time. Returns the release function. Throws when this
 * process holds it already (a node not stopped) or after 30 minutes.
 */
async function acquireNodeLock(report: ProgressReporter): Promise<() => void> {
  const pidFile = join(nodeLock, "pid");
  const deadline = Date.now() + 30 * 60_000;
  let waiting = false;
  for (;;) {
    try {
      mkdirSync(nodeLock);
      writeFileSync(pidFile, String(process.pid));
      return () => rmSync(nodeLock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = Number(readFileSafe(pidFile) ?? 0);
    if (holder === process.pid) throw new Error("this process runs a node already: stop it first");
    if (holder > 0 && !isAlive(holder)) {
      rmSync(nodeLock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`process ${holder} has held ${nodeLock} for 30 minutes`);
    if (!waiting) report(`waiting for process ${holder}'s node to stop (one node per machine)`);
    waiting = true;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Host paths the kubelet (and the CNI plugins) create outside its --root-dir. */
const kubeletHostPaths = ["/var/lib/kubelet", "/var/lib/cni", "/var/log/containers"];

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Removes a cgroup directory tree, deepest first (cgroup directories go with rmdir only). */
function removeCgroupTree(path: string): void {
  if (existsSync(path)) tryRun("find", [path, "-depth", "-type", "d", "-exec", "rmdir", "{}", "+"]);
}
