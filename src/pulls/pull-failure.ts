import type { V1Container, V1ContainerStatus, V1EphemeralContainer, V1Pod } from "@kubernetes/client-node";
import { classifyPullMessage, type PullFailureCause } from "./classify.js";
import { registryHostOf } from "./image-host.js";

/** One container of a pod that the kubelet reports failing to pull its image. */
export interface PodPullFailure {
  /** The container's name (init, regular and ephemeral containers all count). */
  container: string;
  /** The image as the pod spec names it (the status's when the spec has no such container). */
  image: string;
  /** The registry host the kubelet looks credentials up under (registryHostOf). */
  host: string;
  state: "ErrImagePull" | "ImagePullBackOff";
  /** The kubelet's waiting.message, trimmed, at most maxMessageLength characters. */
  message: string;
  /** classifyPullMessage of the whole message (before shortening). */
  cause: PullFailureCause;
}

const maxMessageLength = 512;

const pullStates: readonly string[] = ["ErrImagePull", "ImagePullBackOff"];

function shorten(message: string): string {
  const trimmed = message.trim();
  return trimmed.length <= maxMessageLength ? trimmed : `${trimmed.slice(0, maxMessageLength - 1)}…`;
}

/**
 * The image-pull failures a pod's status shows: every init, regular and ephemeral container whose
 * state.waiting.reason is ErrImagePull or ImagePullBackOff, in that order of lists; [] otherwise
 * (running, terminated, other waiting reasons, no status yet). Pure.
 */
export function pullFailuresOf(pod: V1Pod): PodPullFailure[] {
  const spec = pod.spec;
  const status = pod.status;
  const lists: [(V1Container | V1EphemeralContainer)[] | undefined, V1ContainerStatus[] | undefined][] = [
    [spec?.initContainers, status?.initContainerStatuses],
    [spec?.containers, status?.containerStatuses],
    [spec?.ephemeralContainers, status?.ephemeralContainerStatuses],
  ];
  return lists.flatMap(([containers, statuses]) =>
    (statuses ?? []).flatMap((containerStatus): PodPullFailure[] => {
      const waiting = containerStatus.state?.waiting;
      const state = waiting?.reason;
      if (!state || !pullStates.includes(state)) return [];
      const image =
        containers?.find((c) => c.name === containerStatus.name)?.image ?? containerStatus.image ?? "";
      const message = waiting?.message ?? "";
      return [
        {
          container: containerStatus.name,
          image,
          host: registryHostOf(image),
          state: state as PodPullFailure["state"],
          message: shorten(message),
          cause: classifyPullMessage(message),
        },
      ];
    }),
  );
}
