import type { VerificationReason } from "../api/v1alpha1.js";
import type { OperatorMetrics } from "../metrics/metrics.js";
import type { RegistryToken } from "../providers/provider.js";
import type { Clock } from "../util/clock.js";
import type { RegistryProbe } from "./registry-probe.js";

/** What a registry said of one login (and canary image) when last asked. */
export interface LoginCheck {
  host: string;
  image?: string;
  reason: VerificationReason;
  /** What was asked and answered; never a credential. */
  message: string;
  at: Date;
}

/** Reasons by which a registry explicitly refused a login: the ones Enforce acts on. */
export const refusedReasons: ReadonlySet<VerificationReason> = new Set(["Unauthorized", "Forbidden"]);

/**
 * Checks logins against their registries through `probe`, at most once per login object and
 * canary image (the token cache hands every resource of an identity the same login objects, so N
 * resources sharing a mint cause one probe per host), and again only when the caller's `maxAgeMs`
 * says the last check is too old. Counts each probe in regcred_verification_total. Never rejects.
 */
export class LoginVerifier {
  private readonly checks = new WeakMap<RegistryToken, Map<string, Promise<LoginCheck>>>();
  private readonly settledChecks = new WeakMap<RegistryToken, Map<string, LoginCheck>>();

  constructor(
    private readonly probe: RegistryProbe,
    private readonly clock: Clock,
    private readonly metrics: OperatorMetrics,
  ) {}

  /**
   * The check of `login` (with `image` as canary when given): the memoised one, or a new probe when
   * there is none or it is older than `maxAgeMs`. Concurrent callers share one probe.
   */
  async check(
    login: RegistryToken,
    options: { provider: string; image?: string; maxAgeMs?: number; signal?: AbortSignal },
  ): Promise<LoginCheck> {
    const key = options.image ?? "";
    let byImage = this.checks.get(login);
    if (!byImage) {
      byImage = new Map();
      this.checks.set(login, byImage);
    }
    const memo = byImage.get(key);
    if (memo) {
      const last = await memo;
      if (options.maxAgeMs === undefined || this.clock.now() - last.at.getTime() < options.maxAgeMs)
        return last;
      if (byImage.get(key) !== memo) return this.check(login, options);
    }
    const pending = this.ask(login, options);
    byImage.set(key, pending);
    return pending;
  }

  /** Whether `login` was checked (or is being checked) with `image`. */
  checked(login: RegistryToken, image?: string): boolean {
    return this.checks.get(login)?.has(image ?? "") ?? false;
  }

  /** The last completed check of `login` and `image`, without probing. */
  settled(login: RegistryToken, image?: string): LoginCheck | undefined {
    return this.settledChecks.get(login)?.get(image ?? "");
  }

  private async ask(
    login: RegistryToken,
    options: { provider: string; image?: string; signal?: AbortSignal },
  ): Promise<LoginCheck> {
    const outcome = await this.probe({
      host: login.host,
      username: login.username,
      password: login.password,
      ...(options.image ? { image: options.image } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }).catch(
      // The probe promises never to reject; should it, the registry counts as not asked successfully.
      (error: unknown) => ({
        reason: "Unreachable" as const,
        message: `the check failed: ${error instanceof Error ? error.name : "error"}`,
      }),
    );
    this.metrics.verifications.inc({ provider: options.provider, result: outcome.reason });
    const check: LoginCheck = {
      host: login.host,
      ...(options.image ? { image: options.image } : {}),
      reason: outcome.reason,
      message: outcome.message,
      at: new Date(this.clock.now()),
    };
    let byImage = this.settledChecks.get(login);
    if (!byImage) {
      byImage = new Map();
      this.settledChecks.set(login, byImage);
    }
    byImage.set(options.image ?? "", check);
    return check;
  }
}
