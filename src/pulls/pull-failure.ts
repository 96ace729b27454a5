// Placeholder of the classifier's contract until it lands.
import type { V1Pod } from "@kubernetes/client-node";

export type PullFailureCause = "CredentialsRefused" | "NotFound" | "Unreachable" | "Other";

export interface PodPullFailure {
  container: string;
  image: string;
  host: string;
  state: "ErrImagePull" | "ImagePullBackOff";
  message: string;
  cause: PullFailureCause;
}

export function pullFailuresOf(pod: V1Pod): PodPullFailure[] {
  const statuses = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  return statuses.flatMap((s): PodPullFailure[] => {
    const reason = s.state?.waiting?.reason;
    if (reason !== "ErrImagePull" && reason !== "ImagePullBackOff") return [];
    const message = (s.state?.waiting?.message ?? "").slice(0, 512);
    return [
      {
        container: s.name,
        image: s.image,
        host: s.image.split("/")[0] ?? "",
        state: reason,
        message,
        cause: /401|unauthorized|denied|forbidden|403|authentication required/i.test(message)
          ? "CredentialsRefused"
          : "Other",
      },
    ];
  });
}
