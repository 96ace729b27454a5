// Every channel that can carry remote text (apiserver and webhook messages, cloud error bodies)
// redacts it: logs, events, status messages and namespace failures.
import { describe, expect, it } from "@jest/globals";
import { ApiException, type CoreV1Api, type CustomObjectsApi, type V1Secret } from "@kubernetes/client-node";
import type { ClusterRegistryCredentialStatus } from "../../../../src/api/v1alpha1.js";
import { writeStatus } from "../../../../src/controller/credential/credential-status.js";
import { ensureTarget } from "../../../../src/controller/credential/targets.js";
import { EventRecorder } from "../../../../src/controller/runtime/events.js";
import { WorkQueue } from "../../../../src/controller/runtime/work-queue.js";
import { createLogger } from "../../../../src/logging/logger.js";
import { OperatorMetrics } from "../../../../src/metrics/metrics.js";
import { OperatorKey } from "../../../../src/security/operator-key.js";
import { errorText } from "../../../../src/util/error-text.js";

/** A credential value as a webhook or cloud might quote it back. */
const token = Buffer.from("a service account token that a webhook quoted back in its denial").toString(
  "base64",
);
const remote = `admission webhook "deny.example.com" denied the request: Secret data ${token} is not allowed`;

/** What client-node throws for a failed call: its message embeds the whole body and the headers. */
function apiError(code: number, message: string): ApiException<unknown> {
  return new ApiException(
    code,
    "Bad Request",
    JSON.stringify({ kind: "Status", status: "Failure", message, code }),
    { authorization: `Bearer ${token}`, "audit-id": "5f1c2d3e-0000-4000-8000-000000000001" },
  );
}

function capturedLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: createLogger({ level: "debug", destination: { write: (l: string) => lines.push(l) } }),
  };
}

const channels: [string, () => Promise<string>][] = [
  [
    "errorText of an apiserver error, which never includes headers or the raw body",
    async () => errorText(apiError(400, remote)),
  ],
  [
    "a log line quoting the error in its message and in a field",
    async () => {
      const { lines, logger } = capturedLogger();
      logger.error({ err: remote, nested: { detail: [remote] } }, `failed: ${remote}`);
      return lines.join("\n");
    },
  ],
  [
    "the reconcile-failed log of a sync that threw an apiserver error",
    async () => {
      const { lines, logger } = capturedLogger();
      const queue = new WorkQueue<string>({
        sync: async () => {
          throw apiError(400, remote);
        },
        keyOf: (key) => key,
        describe: (key) => ({ key }),
        concurrency: 1,
        logger,
      });
      queue.add("team-a/pull");
      await queue.idle();
      await queue.shutdown();
      return lines.join("\n");
    },
  ],
  [
    "an event message",
    async () => {
      const sent: string[] = [];
      const core = {
        createNamespacedEvent: async ({ body }: { body: { message: string } }) => sent.push(body.message),
      } as unknown as CoreV1Api;
      const target = { apiVersion: "v1", kind: "RegistryCredential", metadata: { name: "pull", uid: "u" } };
      await new EventRecorder(core, capturedLogger().logger, "test").record(
        target,
        "Warning",
        "WriteFailed",
        remote,
      );
      return sent.join("\n");
    },
  ],
  [
    "the Ready condition and the namespace failures written to status",
    async () => {
      const bodies: unknown[] = [];
      const objects = {
        patchClusterCustomObjectStatus: async ({ body }: { body: unknown }) => bodies.push(body),
      } as unknown as CustomObjectsApi;
      const status: ClusterRegistryCredentialStatus = {
        conditions: [
          {
            type: "Ready",
            status: "False",
            reason: "ProviderError",
            message: remote,
            lastTransitionTime: "t",
          },
        ],
        failures: [{ namespace: "team-a", reason: "WriteFailed", message: remote }],
      };
      await writeStatus(
        objects,
        { plural: "clusterregistrycredentials", name: "platform" },
        undefined,
        status,
      );
      return JSON.stringify(bodies);
    },
  ],
  [
    "a namespace failure from a Secret write a webhook denied",
    async () => {
      const core = {
        createNamespacedSecret: async () => {
          throw apiError(400, remote);
        },
      } as unknown as CoreV1Api;
      const ctx = {
        kube: { core, objects: {} as never },
        informers: {
          credentials: {} as never,
          secrets: { get: () => undefined, list: () => [] } as never,
          serviceAccounts: { get: () => undefined, list: () => [] } as never,
        },
        metrics: new OperatorMetrics({ processMetrics: false }),
        key: OperatorKey.ephemeral(),
        createsDefaultServiceAccounts: true,
      };
      const plan = {
        uid: "crc-1",
        generation: 1,
        owner: {
          apiVersion: "regcred.dev/v1alpha1",
          kind: "ClusterRegistryCredential",
          name: "platform",
          uid: "crc-1",
        },
        secretName: "platform",
        secretFor: (namespace: string): V1Secret => ({ metadata: { name: "platform", namespace } }),
        accounts: undefined,
        deletionPolicy: "Delete" as const,
      };
      return JSON.stringify(await ensureTarget(ctx, plan, "team-a", capturedLogger().logger));
    },
  ],
];

describe("remote text reaches users only redacted", () => {
  it.each(channels)("through %s", async (_channel, produce) => {
    const text = await produce();
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.slice(0, 24));
    expect(text).toContain("[REDACTED]");
    // What the user needs in order to act survives.
    expect(text).toContain("deny.example.com");
    expect(text).toContain("denied the request");
  });
});
