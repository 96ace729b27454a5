/** Thrown out of a sync (never reported in status) when the operator stops during it. */
export class StoppedError extends Error {
  override name = "StoppedError";
}

/**
 * Settles as `work` does, or rejects with `signal.reason` as soon as the signal aborts, whichever
 * comes first. For calls that ignore AbortSignals (google-auth-library, the GKE metadata server):
 * the work goes on unobserved, but its caller is free. Without a signal it is `work` itself.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
