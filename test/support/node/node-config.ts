// The node's configuration files: containerd's, the kubelet's, the CNI bridge's and a registry
// mirror's. Settings this machine kind needs (cgroup v1, no CAP_SYS_RESOURCE) are marked.
import { join } from "node:path";

/** Where Debian's containernetworking-plugins installs the CNI plugins. */
export const cniBinDir = "/usr/lib/cni";

/** A node's pod network: 10.244.N.0/24 on a bridge inside the node's namespace. */
export interface PodNetwork {
  readonly bridge: string;
  readonly subnet: string;
  /** The bridge's address: the pods' gateway, and the node's InternalIP. */
  readonly gateway: string;
  /** The kubernetes Service's ClusterIP: the first address of --service-cluster-ip-range. */
  readonly serviceIp: string;
  /** The host's end of the link into the namespace, and the namespace's end. */
  readonly link: { readonly host: string; readonly namespace: string };
  conflist(dir: string): string;
}

/** The pod network numbered `n` (1–250), picked so that it clashes with no route of the machine. */
export function podNetwork(n: number): PodNetwork {
  const subnet = `10.244.${n}.0/24`;
  return {
    bridge: "regcred0",
    subnet,
    gateway: `10.244.${n}.1`,
    serviceIp: "10.0.0.1",
    link: { host: `10.243.${n}.1`, namespace: `10.243.${n}.2` },
    conflist(dir: string): string {
      return JSON.stringify({
        cniVersion: "1.0.0",
        name: "regcred",
        plugins: [
          {
            type: "bridge",
            bridge: "regcred0",
            isGateway: true,
            ipMasq: false,
            hairpinMode: true,
            ipam: {
              type: "host-local",
              dataDir: join(dir, "cni", "ipam"),
              ranges: [[{ subnet }]],
              routes: [{ dst: "0.0.0.0/0" }],
            },
          },
        ],
      });
    },
  };
}

export const pauseImage = "registry.k8s.io/pause:3.10";

/** containerd 2.x's config (version 3 keys) with every path under `dir`. */
export function containerdConfig(dir: string, runc: string): string {
  const c = join(dir, "containerd");
  return `version = 3
root = "${c}/root"
state = "${c}/state"
[grpc]
  address = "${c}/containerd.sock"
[plugins.'io.containerd.internal.v1.opt']
  path = "${c}/opt"
[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "${pauseImage}"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "${c}/certs.d"
[plugins.'io.containerd.cri.v1.runtime']
  # This machine lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj as the kubelet asks.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "${runc}"
        Root = "${c}/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["${cniBinDir}"]
    conf_dir = "${dir}/cni/net.d"
`;
}

/**
 * A containerd hosts.toml serving a registry name from `url` (trusting `caFile` for https), with
 * `server` the upstream registry when `url` is its mirror.
 */
export function registryHostsToml(url: string, caFile?: string, upstream?: string): string {
  const ca = caFile ? `  ca = "${caFile}"\n` : "";
  return `server = "${upstream ?? url}"\n[host."${url}"]\n  capabilities = ["pull", "resolve"]\n${ca}`;
}

/** The KubeletConfiguration, on containerd's socket under `dir`, serving on the pod network's gateway. */
export function kubeletConfig(dir: string, network: PodNetwork): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 (hybrid); kubelets since 1.35 refuse it unless told.
failCgroupV1: false
failSwapOn: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://${join(dir, "containerd", "containerd.sock")}
address: ${network.gateway}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication: { anonymous: { enabled: true }, webhook: { enabled: false } }
authorization: { mode: AlwaysAllow }
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
podLogsDir: ${join(dir, "pod-logs")}
serializeImagePulls: false
# One node takes the pulls a fleet would spread: the kubelet's default 5 pulls/s would fail a 1 → 20
# scale-up with "pull QPS exceeded", which says nothing about credentials.
registryPullQPS: 0
evictionHard: { memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%" }
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`;
}
