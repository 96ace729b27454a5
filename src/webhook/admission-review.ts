import { type JsonPatchOperation, mutatePod, type PodLike } from "./mutate-pod.js";
import type { PullSecretIndex } from "./pull-secret-index.js";

const admissionApiVersion = "admission.k8s.io/v1";

/** The AdmissionReview the webhook sends back: always allowed, with a JSON Patch when it adds Secrets. */
interface AdmissionReviewResponse {
  apiVersion: typeof admissionApiVersion;
  kind: "AdmissionReview";
  response: {
    uid: string;
    allowed: true;
    patchType?: "JSONPatch";
    /** base64 of the JSON-encoded JsonPatchOperation[]. */
    patch?: string;
  };
}

/** What may be logged about one review: identifiers and secret names only, never the pod spec. */
export interface ReviewSummary {
  uid: string;
  namespace: string | undefined;
  /** metadata.name, or metadata.generateName for pods named by the apiserver. */
  pod: string | undefined;
  operation: string | undefined;
  dryRun: boolean;
  /** Names of the Secrets the patch adds ([] when the pod is left as it is). */
  added: string[];
  /** Why no patch could be computed (the pod was still allowed unchanged). */
  error?: string;
}

export type ReviewResult =
  | { ok: true; review: AdmissionReviewResponse; summary: ReviewSummary }
  /** The payload is not an admission.k8s.io/v1 AdmissionReview request: answer 400 with `error`. */
  | { ok: false; error: string };

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const stringOr = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * Answers one AdmissionReview for the pod mutating webhook. Pure apart from calling the index.
 *
 * - Rejects (ok: false) anything that is not an object with apiVersion admission.k8s.io/v1, kind
 *   AdmissionReview and a request with a non-empty string uid.
 * - Otherwise always allows, echoing the uid. Only a CREATE of core/v1 `pods` (no subresource) with
 *   an object can be patched: with the Secrets `index.secretsFor(namespace)` lists that mutatePod
 *   finds missing. Everything else, and any error while computing the patch, is allowed unchanged:
 *   this webhook never denies and never blocks a pod.
 */
export async function reviewPodAdmission(payload: unknown, index: PullSecretIndex): Promise<ReviewResult> {
  if (!isObject(payload)) return { ok: false, error: "body is not a JSON object" };
  if (payload.apiVersion !== admissionApiVersion || payload.kind !== "AdmissionReview") {
    return { ok: false, error: `expected apiVersion ${admissionApiVersion} and kind AdmissionReview` };
  }
  const request = payload.request;
  if (!isObject(request)) return { ok: false, error: "request is missing" };
  const uid = request.uid;
  if (typeof uid !== "string" || uid.length === 0) return { ok: false, error: "request.uid is missing" };

  const object = isObject(request.object) ? request.object : undefined;
  const metadata = object && isObject(object.metadata) ? object.metadata : undefined;
  const namespace = stringOr(request.namespace) || stringOr(metadata?.namespace) || undefined;
  const summary: ReviewSummary = {
    uid,
    namespace,
    pod: stringOr(request.name) || stringOr(metadata?.name) || stringOr(metadata?.generateName) || undefined,
    operation: stringOr(request.operation),
    dryRun: request.dryRun === true,
    added: [],
  };
  const review: AdmissionReviewResponse = {
    apiVersion: admissionApiVersion,
    kind: "AdmissionReview",
    response: { uid, allowed: true },
  };

  const resource = isObject(request.resource) ? request.resource : {};
  const isPodCreate =
    request.operation === "CREATE" &&
    (resource.group ?? "") === "" &&
    resource.version === "v1" &&
    resource.resource === "pods" &&
    !request.subResource;
  if (!isPodCreate || !object || !namespace) return { ok: true, review, summary };

  let patch: JsonPatchOperation[];
  try {
    patch = mutatePod(object as PodLike, await index.secretsFor(namespace));
  } catch (error) {
    summary.error = error instanceof Error ? error.message : String(error);
    return { ok: true, review, summary };
  }
  if (patch.length > 0) {
    review.response.patchType = "JSONPatch";
    review.response.patch = Buffer.from(JSON.stringify(patch)).toString("base64");
    summary.added = patch.flatMap((op) =>
      (Array.isArray(op.value) ? op.value : [op.value]).map((entry) => (entry as { name: string }).name),
    );
  }
  return { ok: true, review, summary };
}
