import type { RefreshPolicy } from "../api/v1alpha1.js";
import { parseDuration } from "../util/duration.js";

/** @internal exported for its tests */
export const defaultRefreshPolicy = {
  lifetimeFraction: 0.5,
  jitterFraction: 0.1,
  minIntervalMs: 60_000,
  maxIntervalMs: 6 * 3_600_000,
} as const;

/** A refresh policy with every default applied and durations in milliseconds. */
export interface ResolvedRefreshPolicy {
  lifetimeFraction: number;
  jitterFraction: number;
  minIntervalMs: number;
  maxIntervalMs: number;
}

/** Applies defaults; throws an Error for an unparsable duration (the CRD normally prevents it). */
export function resolveRefreshPolicy(policy: RefreshPolicy | undefined): ResolvedRefreshPolicy {
  const minIntervalMs = policy?.minInterval
    ? parseDuration(policy.minInterval)
    : defaultRefreshPolicy.minIntervalMs;
  const maxIntervalMs = policy?.maxInterval
    ? parseDuration(policy.maxInterval)
    : defaultRefreshPolicy.maxIntervalMs;
  return {
    lifetimeFraction: policy?.lifetimeFraction ?? defaultRefreshPolicy.lifetimeFraction,
    jitterFraction: policy?.jitterFraction ?? defaultRefreshPolicy.jitterFraction,
    minIntervalMs: Math.min(minIntervalMs, maxIntervalMs),
    maxIntervalMs,
  };
}

/**
 * Longest lifetime any registry token plausibly has; a reported expiry further out is treated as absurd.
 * @internal exported for its tests
 */
export const maxPlausibleLifetimeMs = 7 * 24 * 3_600_000;

/**
 * The lifetime to plan with, given when a token was minted and the expiry its provider reported.
 * A missing, past, or absurd (more than a week out) expiry yields undefined: the caller must then
 * fall back to the policy's minimum interval, so such tokens are renewed at a safe pace instead of
 * in a hot loop (moto, for example, reports an expiry in 2015).
 * @internal exported for its tests
 */
export function plannedLifetimeMs(mintedAt: Date, expiresAt: Date | undefined): number | undefined {
  if (!expiresAt || Number.isNaN(expiresAt.getTime()) || Number.isNaN(mintedAt.getTime())) return undefined;
  const lifetime = expiresAt.getTime() - mintedAt.getTime();
  if (lifetime <= 0 || lifetime > maxPlausibleLifetimeMs) return undefined;
  return lifetime;
}

/**
 * When to renew a token minted at `mintedAt` that expires at `expiresAt`: after lifetimeFraction of
 * its lifetime, shifted by up to ±jitterFraction of the lifetime (jitter in [-1, 1] picks where),
 * then clamped to [minInterval, maxInterval] after minting, and never after 0.9 of the lifetime when
 * the expiry is later than minInterval. minInterval is a hard floor against renewal loops: a token
 * living shorter than it is renewed after minInterval, that is after it expired (the CRD says so).
 * Tokens with an unusable expiry renew after minInterval.
 */
export function refreshTime(
  mintedAt: Date,
  expiresAt: Date | undefined,
  policy: ResolvedRefreshPolicy,
  jitter: number,
): Date {
  const lifetime = plannedLifetimeMs(mintedAt, expiresAt);
  if (lifetime === undefined) return new Date(mintedAt.getTime() + policy.minIntervalMs);
  const offset =
    lifetime * policy.lifetimeFraction + lifetime * policy.jitterFraction * Math.max(-1, Math.min(1, jitter));
  const clamped = Math.min(Math.max(offset, policy.minIntervalMs), policy.maxIntervalMs);
  const beforeExpiry = lifetime > policy.minIntervalMs ? Math.min(clamped, lifetime * 0.9) : clamped;
  return new Date(mintedAt.getTime() + beforeExpiry);
}

/**
 * A deterministic jitter in [-1, 1] for a key, so that recomputing a schedule gives the same
 * answer while different resources spread out.
 */
export function stableJitter(key: string): number {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return ((hash >>> 0) / 0xffffffff) * 2 - 1;
}
