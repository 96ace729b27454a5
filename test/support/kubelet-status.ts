// Pod status as the kubelet writes it, for tests without a node: what the operator's pull-failure
// watch reads. test/e2e/ shows the real kubelet writing the same.
import { type CoreV1Api, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** The state of the pod's one container, as the kubelet reports it. */
export type PullState =
  /** After a pull attempt, with containerd's message. */
  | { waiting: "ErrImagePull"; message: string }
  /** Backing off; the kubelet's message embeds the last attempt's error, `message`. */
  | { waiting: "ImagePullBackOff"; message: string }
  | "Running";

/**
 * Writes the status of pod `namespace`/`name`, whose one container `app` runs `image`, as the
 * kubelet does: Pending while waiting on a pull, Running once it pulled. Throws ApiException.
 */
export async function reportPull(
  core: CoreV1Api,
  namespace: string,
  name: string,
  image: string,
  state: PullState,
): Promise<void> {
  const container = { name: "app", image, restartCount: 0 };
  const status =
    state === "Running"
      ? {
          phase: "Running",
          containerStatuses: [{ ...container, imageID: "sha256:0", ready: true, state: { running: {} } }],
        }
      : {
          phase: "Pending",
          containerStatuses: [
            {
              ...container,
              imageID: "",
              ready: false,
              state: {
                waiting: {
                  reason: state.waiting,
                  message:
                    state.waiting === "ImagePullBackOff"
                      ? `Back-off pulling image "${image}": ErrImagePull: ${state.message}`
                      : state.message,
                },
              },
            },
          ],
        };
  await core.patchNamespacedPodStatus({ namespace, name, body: { status } }, mergePatch);
}
