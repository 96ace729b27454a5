import { type KubeConfig, type KubernetesObject, Watch } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { errorText } from "../util/error-text.js";

/** The Accept header of a watch that asks for PartialObjectMetadata instead of whole objects. */
const partialObjectMetadata = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1";
/** The Accept header of a list that asks for a PartialObjectMetadataList instead of whole objects. */
export const partialObjectMetadataList = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/** One object of a (re)list: where it is and its resourceVersion. */
export interface ObjectVersion {
  namespace: string;
  name: string;
  resourceVersion: string;
}

/** What a MetadataWatch reports; it holds nothing itself. */
export interface MetadataWatchHandlers {
  /** Whether the object of that name matters; events and list items of others are dropped at once. */
  keep(namespace: string, name: string): boolean;
  /** A kept object was created or changed (its new resourceVersion), or deleted (null). */
  changed(namespace: string, name: string, resourceVersion: string | null): void;
  /** A list found exactly `present` of the kept objects: the first (`initial`), or one after the watch lost its place. */
  listed(present: ObjectVersion[], initial: boolean): void;
}

/**
 * One page of a metadata-only list, from the continue token of the last (undefined: the first
 * page). The apiserver sends an empty PartialObjectMetadataList with `items: null`.
 */
export type MetadataListPage = (continueToken: string | undefined) => Promise<{
  metadata?: { resourceVersion?: string; _continue?: string };
  items?: KubernetesObject[] | null;
}>;

const minRestartDelayMs = 500;
const maxRestartDelayMs = 30_000;

/** The KubeConfig `kc`, but its watch requests ask for PartialObjectMetadata. */
function metadataWatchConfig(kc: KubeConfig): KubeConfig {
  const config = Object.create(kc) as KubeConfig;
  config.applySecurityAuthentication = async (context) => {
    await kc.applySecurityAuthentication(context);
    context.setHeaderParam("Accept", partialObjectMetadata);
  };
  return config;
}

/**
 * A list+watch of `path` by metadata only that caches nothing: each event is handed to
 * `handlers` (if `keep` accepts its object) and forgotten, so what it holds is one list page at a
 * time, however many objects the path has. Lists page by page, then watches from the list's
 * resourceVersion with bookmarks; resumes from the last resourceVersion after a dropped
 * connection, relists after 410 Gone, and retries failures with exponential backoff until stop().
 */
export class MetadataWatch {
  private resourceVersion: string | undefined;
  private request: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private delay = minRestartDelayMs;
  private readonly watch: Watch;

  constructor(
    kc: KubeConfig,
    private readonly path: string,
    private readonly listPage: MetadataListPage,
    private readonly handlers: MetadataWatchHandlers,
    private readonly logger: Logger,
  ) {
    this.watch = new Watch(metadataWatchConfig(kc));
  }

  /** Resolves once the first list has been handed to `listed` (retrying it until then), and keeps watching. */
  async start(): Promise<void> {
    for (;;) {
      try {
        await this.relist(true);
        break;
      } catch (error) {
        if (this.stopped) return;
        await this.backoff(error);
      }
    }
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.request?.abort();
  }

  private async relist(initial: boolean): Promise<void> {
    const present: ObjectVersion[] = [];
    let resourceVersion: string | undefined;
    let next: string | undefined;
    do {
      const page = await this.listPage(next);
      // Every page of one list is the same snapshot; the first names its resourceVersion.
      resourceVersion ??= page.metadata?.resourceVersion;
      for (const item of page.items ?? []) {
        const { namespace = "", name = "", resourceVersion: version = "" } = item.metadata ?? {};
        if (this.handlers.keep(namespace, name)) present.push({ namespace, name, resourceVersion: version });
      }
      next = page.metadata?._continue || undefined;
    } while (next);
    if (!resourceVersion) throw new Error(`listing ${this.path} returned no resourceVersion`);
    this.resourceVersion = resourceVersion;
    this.handlers.listed(present, initial);
  }

  private async backoff(error: unknown): Promise<void> {
    this.logger.warn(
      { path: this.path, err: errorText(error), retryInMs: this.delay },
      "watch failed; restarting",
    );
    await new Promise<void>((resolve) => {
      this.timer = setTimeout(resolve, this.delay);
    });
    this.timer = undefined;
    this.delay = Math.min(this.delay * 2, maxRestartDelayMs);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.request = await this.watch.watch(
      this.path,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true },
      (phase: string, object: KubernetesObject & { code?: number }) => this.onEvent(phase, object),
      (error: unknown) => void this.onDone(error),
    );
  }

  private onEvent(phase: string, object: KubernetesObject & { code?: number }): void {
    if (phase === "ERROR") {
      if (object.code === 410) this.resourceVersion = undefined;
      return;
    }
    this.delay = minRestartDelayMs;
    const { namespace = "", name = "", resourceVersion } = object.metadata ?? {};
    if (resourceVersion) this.resourceVersion = resourceVersion;
    if (phase !== "ADDED" && phase !== "MODIFIED" && phase !== "DELETED") return;
    if (!this.handlers.keep(namespace, name)) return;
    this.handlers.changed(namespace, name, phase === "DELETED" ? null : (resourceVersion ?? ""));
  }

  /** After the watch ends: relist if it lost its place, then watch again; failures back off. */
  private async onDone(error: unknown): Promise<void> {
    this.request = undefined;
    if (this.stopped) return;
    const status = (error as { statusCode?: number; code?: number } | null)?.statusCode;
    if (status === 410) this.resourceVersion = undefined;
    // A client-side timeout (a quiet watch) reconnects at once; it waited its full timeout already.
    const quiet = error instanceof Error && error.name === "TimeoutError";
    try {
      if (error && !quiet && status !== 410) await this.backoff(error);
      if (this.stopped) return;
      if (!this.resourceVersion) await this.relist(false);
      await this.connect();
    } catch (failure) {
      if (this.stopped) return;
      await this.backoff(failure);
      void this.onDone(undefined);
    }
  }
}
