import type { Logger } from "pino";
import type { EventApi } from "../../kube/ports.js";
import { type Clock, systemClock } from "../../util/clock.js";
import { errorText } from "../../util/error-text.js";
import { redactSecrets } from "../../util/redact.js";

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type EventType = "Normal" | "Warning";

const component = "registry-credential-operator";
const repeatWindowMs = 5 * 60_000;

/**
 * Records core/v1 Events about operator resources, so `kubectl describe` shows them. The same
 * reason and message for the same object is recorded once per five minutes. Recording never
 * throws: a failure is logged and dropped. Messages must not contain token or key values.
 */
export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly core: EventApi,
    private readonly logger: Logger,
    private readonly instance: string,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Records an event; `message` is redacted and cut to 1,024 characters. Never throws. */
  async record(target: EventTarget, type: EventType, reason: string, text: string): Promise<void> {
    const message = redactSecrets(text).slice(0, 1024);
    const key = `${target.metadata.uid}|${type}|${reason}|${message}`;
    const now = new Date(this.clock.now());
    const last = this.recent.get(key);
    if (last !== undefined && now.getTime() - last < repeatWindowMs) return;
    this.recent.set(key, now.getTime());
    if (this.recent.size > 10_000) this.forgetOlderThan(now.getTime() - repeatWindowMs);

    const namespace = target.metadata.namespace ?? "default";
    const timestamp = now.toISOString();
    try {
      await this.core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${target.metadata.name}.`, namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            name: target.metadata.name,
            namespace: target.metadata.namespace,
            uid: target.metadata.uid,
            resourceVersion: target.metadata.resourceVersion,
          },
          type,
          reason,
          message,
          source: { component },
          reportingComponent: component,
          reportingInstance: this.instance,
          firstTimestamp: timestamp as unknown as Date,
          lastTimestamp: timestamp as unknown as Date,
          count: 1,
        },
      });
    } catch (error) {
      this.logger.warn({ err: errorText(error), reason }, "recording an event failed");
    }
  }

  private forgetOlderThan(cutoff: number): void {
    for (const [key, at] of this.recent) if (at < cutoff) this.recent.delete(key);
  }
}
