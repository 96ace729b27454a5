// What a node could leave behind on the host, read off the machine: processes, mounts, network
// namespaces, links, routes, iptables chains, the forwarding sysctls, kubepods cgroups, the
// kubelet's fixed paths and the node lock. Compared before and after the e2e run, it proves the teardown complete.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type HostState = Record<string, string[]>;

function lines(command: string, args: string[]): string[] {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return result.status === 0 ? result.stdout.split("\n").filter(Boolean) : [];
}

/** The host facts a node touches, each as a sorted list of lines. */
export function hostState(): HostState {
  const state: HostState = {
    // Zombies hold nothing but a PID, and whoever inherited them reaps them.
    processes: lines("pgrep", ["-a", "-f", "containerd|kubelet|kube-scheduler|forwarder\\.mjs"])
      .map((line) => line.replace(/^\d+ /, ""))
      .filter((line) => !line.endsWith("<defunct>")),
    mounts: lines("findmnt", ["-rn", "-o", "TARGET"]).filter((target) => target.includes("regcred-node-")),
    "network namespaces": lines("ip", ["netns", "list"]).filter((ns) => ns.startsWith("regcred-")),
    links: lines("ip", ["-o", "link", "show"]).map((line) => line.split(":")[1]?.trim() ?? ""),
    routes: [...lines("ip", ["-4", "route", "show"]), ...lines("ip", ["-6", "route", "show"])],
    "iptables chains": [
      ...lines("iptables", ["-S"]),
      ...lines("iptables", ["-t", "nat", "-S"]),
      ...lines("iptables", ["-t", "mangle", "-S"]),
      ...lines("ip6tables", ["-S"]),
    ],
    sysctls: ["net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"].map(
      (name) => `${name}=${readFileSync(join("/proc/sys", name), "utf8").trim()}`,
    ),
    "kubepods cgroups": readdirSync("/sys/fs/cgroup").filter((h) =>
      existsSync(join("/sys/fs/cgroup", h, "kubepods")),
    ),
    "kubelet host paths": ["/var/lib/kubelet", "/var/lib/cni", "/var/log/containers"].filter((p) =>
      existsSync(p),
    ),
    "node lock": ["/run/regcred-node.lock"].filter((p) => existsSync(p)),
  };
  for (const key of Object.keys(state)) state[key]?.sort();
  return state;
}

/** What `after` has that `before` had not, or lost, per fact; empty when the host is unchanged. */
export function hostChanges(before: HostState, after: HostState): string[] {
  const changes: string[] = [];
  for (const [fact, now] of Object.entries(after)) {
    const then = new Set(before[fact] ?? []);
    const nowSet = new Set(now);
    for (const line of now) if (!then.has(line)) changes.push(`${fact}: left behind: ${line}`);
    for (const line of then) if (!nowSet.has(line)) changes.push(`${fact}: gone: ${line}`);
  }
  return changes;
}
