// The promtool unit tests of the chart's alerts: for each alert, input series that make it fire and
// series that must leave it quiet. Label sets are never written here: they come from the caller
// (taken from a real scrape of the operator); this file chooses only values over time.
import type { Labels } from "./exposition.js";
import { seriesSelector } from "./exposition.js";

/** Stored label sets, as Prometheus keeps them, of the series the alerts read. */
export interface ScrapedSeries {
  /** regcred_credential_{expiry_timestamp_seconds,ready,expired} of one credential. */
  credential(metric: CredentialMetric, role: CredentialRole): Labels;
  /** regcred_provider_calls_total of one outcome. */
  providerCalls(outcome: "success" | "error"): Labels;
  /** `up` of the operator's scrape target. */
  up: Labels;
  /** regcred_credential_verified of a credential whose Verified condition is False. */
  unverified: Labels;
  /** regcred_pull_failures_total of cause CredentialsRefused and one action. */
  pullFailures(action: PullFailureAction): Labels;
}

/** The pull-failure actions the scenarios use: one the operator cannot fix, and one it did. */
export type PullFailureAction = "PermissionDenied" | "Reminted";

/** Where the alerts' runbooks are: the chart's home (Chart.yaml) and troubleshooting.md's sections. */
const runbooks = {
  verification: "https://regcred.dev/docs/troubleshooting#verified-reasons",
  pullFailures: "https://regcred.dev/docs/troubleshooting#pull-failure-causes-and-actions",
};

export type CredentialMetric =
  | "regcred_credential_expiry_timestamp_seconds"
  | "regcred_credential_ready"
  | "regcred_credential_expired";
/** Which of the test's credentials: Ready, failing without ever having had a token, expired. */
export type CredentialRole = "healthy" | "failing" | "expired";

/** The alert settings the scenarios are timed for (the chart's values). */
export interface AlertSettings {
  expiresWithinSeconds: number;
  /** A whole number of minutes, such as "15m". */
  notReadyFor: string;
}

export interface Scenario {
  alert: string;
  name: string;
  input: { series: string; values: string }[];
  evalTimes: string[];
  /** Empty: the alert must be quiet at every eval time. */
  expected: { labels: Labels; annotations: Labels }[];
}

/** The subject of a per-credential annotation, as the chart's template words it. */
function subject(labels: Labels): string {
  return labels.kind === "ClusterRegistryCredential"
    ? `ClusterRegistryCredential ${labels.name}`
    : `RegistryCredential ${labels.namespace}/${labels.name}`;
}

/** Prometheus's humanizeDuration for a whole number of seconds of at least a minute. */
function humanizeDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor(seconds / 3600) % 24;
  const m = Math.floor(seconds / 60) % 60;
  const s = seconds % 60;
  if (d) return `${d}d ${h}h ${m}m ${s}s`;
  if (h) return `${h}h ${m}m ${s}s`;
  return `${m}m ${s}s`;
}

function minutesOf(duration: string): number {
  const match = /^(\d+)m$/.exec(duration);
  if (!match) throw new Error(`the scenarios need notReadyFor in whole minutes, not ${duration}`);
  return Number(match[1]);
}

const pick = (labels: Labels, keys: string[]): Labels =>
  Object.fromEntries(keys.map((k) => [k, labels[k] ?? ""]).filter(([, v]) => v !== ""));

/** Every scenario, for alert rules rendered with `settings`. */
export function alertScenarios(scraped: ScrapedSeries, settings: AlertSettings): Scenario[] {
  const within = settings.expiresWithinSeconds;
  if (within % 60 !== 0) throw new Error("the scenarios need expiresWithinSeconds in whole minutes");
  const notReadyMinutes = minutesOf(settings.notReadyFor);
  const expiry = (role: CredentialRole) =>
    seriesSelector(
      "regcred_credential_expiry_timestamp_seconds",
      scraped.credential("regcred_credential_expiry_timestamp_seconds", role),
    );
  const ready = (role: CredentialRole) =>
    seriesSelector("regcred_credential_ready", scraped.credential("regcred_credential_ready", role));
  const expired = (role: CredentialRole) =>
    seriesSelector("regcred_credential_expired", scraped.credential("regcred_credential_expired", role));
  const calls = (outcome: "success" | "error") =>
    seriesSelector("regcred_provider_calls_total", scraped.providerCalls(outcome));
  const verified = seriesSelector("regcred_credential_verified", scraped.unverified);
  const pulls = (action: PullFailureAction) =>
    seriesSelector("regcred_pull_failures_total", scraped.pullFailures(action));
  const deniedLabels = scraped.pullFailures("PermissionDenied");
  const up = seriesSelector("up", scraped.up);
  const otherReplica = seriesSelector("up", {
    ...scraped.up,
    instance: `${scraped.up.instance}-second-replica`,
  });

  const expiredLabels = scraped.credential("regcred_credential_expiry_timestamp_seconds", "expired");
  const failingLabels = scraped.credential("regcred_credential_ready", "failing");
  const flaggedLabels = scraped.credential("regcred_credential_expired", "expired");
  const errorLabels = scraped.providerCalls("error");
  const withinMinutes = within / 60;
  // Never renewed: 2×threshold left at 0, below the threshold from threshold+1m, firing 5m later.
  const firingAt = withinMinutes + 7;
  const unrenewed = [{ series: expiry("expired"), values: `${2 * within}x${firingAt + 5}` }];

  return [
    {
      alert: "RegistryCredentialExpiringSoon",
      name: "fires 5m after a token that is not renewed has less than the threshold left",
      input: unrenewed,
      evalTimes: [`${firingAt}m`],
      expected: [
        {
          labels: expiredLabels,
          annotations: {
            summary: `${subject(expiredLabels)} expires within ${within}s`,
            description: `Its registry token has not been renewed; time left: ${humanizeDuration(2 * within - firingAt * 60)} (negative: already expired).`,
          },
        },
      ],
    },
    {
      alert: "RegistryCredentialExpiringSoon",
      name: "is only pending within 5m of crossing the threshold",
      input: unrenewed,
      evalTimes: [`${withinMinutes + 5}m`],
      expected: [],
    },
    {
      alert: "RegistryCredentialExpiringSoon",
      name: "stays quiet for 1-hour tokens renewed at half their lifetime",
      input: [{ series: expiry("healthy"), values: "3600x29 5400x29 7200x30" }],
      evalTimes: ["29m", "59m", "90m"],
      expected: [],
    },
    {
      alert: "RegistryCredentialExpiringSoon",
      name: "stays quiet for 15-minute tokens renewed at 60 % of their lifetime (the latest jitter allows)",
      input: [{ series: expiry("healthy"), values: "900x8 1440x8 1980x8 2520x8" }],
      evalTimes: ["8m", "17m", "26m", "35m"],
      expected: [],
    },
    {
      alert: "RegistryCredentialRefreshFailing",
      name: "fires once a credential has not been Ready for notReadyFor",
      input: [{ series: ready("failing"), values: `0x${notReadyMinutes + 5}` }],
      evalTimes: [`${notReadyMinutes + 1}m`],
      expected: [
        {
          labels: failingLabels,
          annotations: {
            summary: `${subject(failingLabels)} not Ready for ${settings.notReadyFor}`,
            description:
              "Its Secret is not being kept fresh; the Ready condition's reason and the resource's events say why.",
          },
        },
      ],
    },
    {
      alert: "RegistryCredentialRefreshFailing",
      name: "stays quiet when the credential recovers before notReadyFor",
      input: [
        { series: ready("failing"), values: `0x${notReadyMinutes - 2} 1x10` },
        { series: ready("healthy"), values: `1x${notReadyMinutes + 5}` },
      ],
      evalTimes: [`${notReadyMinutes + 1}m`],
      expected: [],
    },
    {
      alert: "RegistryCredentialExpired",
      name: "fires as soon as the operator reports an expired login",
      input: [{ series: expired("expired"), values: "0x2 1x10" }],
      evalTimes: ["5m"],
      expected: [
        {
          labels: flaggedLabels,
          annotations: {
            summary: `${subject(flaggedLabels)} has expired`,
            description:
              "Its Secret holds an expired login because refreshing failed; image pulls with it fail until a refresh succeeds.",
          },
        },
      ],
    },
    {
      alert: "RegistryCredentialExpired",
      name: "stays quiet while nothing has expired, and once a refresh succeeded again",
      input: [
        { series: expired("healthy"), values: "0x10" },
        { series: expired("expired"), values: "1x2 0x10" },
      ],
      evalTimes: ["5m"],
      expected: [],
    },
    {
      alert: "RegistryCredentialProviderErrors",
      name: "fires when every mint of a provider failed for 15m",
      input: [
        { series: calls("success"), values: "1x40" },
        { series: calls("error"), values: "0+1x40" },
      ],
      evalTimes: ["20m"],
      expected: [
        {
          labels: pick(errorLabels, ["job", "namespace", "provider"]),
          annotations: {
            summary: `Most ${errorLabels.provider} token mints fail`,
            description: `100% of the calls to the ${errorLabels.provider} API failed over the last 15 minutes; credentials keep their current tokens until they expire.`,
          },
        },
      ],
    },
    {
      alert: "RegistryCredentialProviderErrors",
      name: "stays quiet when a third of the mints fail",
      input: [
        { series: calls("success"), values: "0+2x40" },
        { series: calls("error"), values: "0+1x40" },
      ],
      evalTimes: ["20m"],
      expected: [],
    },
    {
      alert: "RegistryCredentialProviderErrors",
      name: "stays quiet when there are no mints",
      input: [
        { series: calls("success"), values: "5x40" },
        { series: calls("error"), values: "3x40" },
      ],
      evalTimes: ["20m"],
      expected: [],
    },
    {
      alert: "RegistryCredentialVerificationFailing",
      name: "fires once a credential has failed verification for 15m",
      input: [{ series: verified, values: "0x20" }],
      evalTimes: ["16m"],
      expected: [
        {
          labels: scraped.unverified,
          annotations: {
            summary: `${subject(scraped.unverified)} fails verification against its registry`,
            description:
              "For 15 minutes its registry has refused its login or could not be asked; the Verified condition's reason and status.verification say which host answered what.",
            runbook_url: runbooks.verification,
          },
        },
      ],
    },
    {
      alert: "RegistryCredentialVerificationFailing",
      name: "stays quiet when a fresh login verifies before 15m",
      input: [{ series: verified, values: "0x10 1x10" }],
      evalTimes: ["12m", "16m"],
      expected: [],
    },
    {
      alert: "RegistryCredentialPullFailures",
      name: "fires while pulls keep being refused after a fresh login",
      input: [
        { series: pulls("PermissionDenied"), values: "0x2 1+1x20" },
        { series: pulls("Reminted"), values: "0+1x20" },
      ],
      evalTimes: ["10m"],
      expected: [
        {
          labels: pick(deniedLabels, ["job", "namespace", "cause", "action"]),
          annotations: {
            summary: "Pods fail to pull and the operator cannot fix it (PermissionDenied)",
            description: `Pods failed to pull (${deniedLabels.cause}) in the last 15 minutes and the operator could not recover them (PermissionDenied); status.pullFailures of the credentials and "regcred audit" name the pods.`,
            runbook_url: runbooks.pullFailures,
          },
        },
      ],
    },
    {
      alert: "RegistryCredentialPullFailures",
      name: "stays quiet when every refused pull was healed by a re-mint",
      input: [
        { series: pulls("PermissionDenied"), values: "3x20" },
        { series: pulls("Reminted"), values: "0+1x20" },
      ],
      evalTimes: ["10m"],
      expected: [],
    },
    {
      alert: "RegistryCredentialPullFailures",
      name: "stays quiet 15m after the last refused pull",
      input: [{ series: pulls("PermissionDenied"), values: "0+1x5 6x30" }],
      evalTimes: ["25m"],
      expected: [],
    },
    ...(["its scrape fails", "it is not scraped at all"] as const).map((how) => ({
      alert: "RegistryCredentialOperatorDown",
      name: `fires 5m after ${how}`,
      input:
        how === "its scrape fails"
          ? [{ series: up, values: "0x10" }]
          : [{ series: ready("healthy"), values: "1x10" }],
      evalTimes: ["7m"],
      expected: [
        {
          labels: pick(scraped.up, ["job", "namespace"]),
          annotations: {
            summary: `No registry-credential-operator replica in ${scraped.up.namespace} can be scraped`,
            description:
              "Nothing renews registry tokens, and the per-credential alerts go quiet without their series.",
          },
        },
      ],
    })),
    {
      alert: "RegistryCredentialOperatorDown",
      name: "stays quiet while one of two replicas is up",
      input: [
        { series: up, values: "0x10" },
        { series: otherReplica, values: "1x10" },
      ],
      evalTimes: ["7m"],
      expected: [],
    },
  ];
}

/** The promtool test file for `scenarios`, with each alert's own labels (severity) from `ruleLabels`. */
export function promtoolTestFile(
  rulesFile: string,
  scenarios: Scenario[],
  ruleLabels: (alert: string) => Labels,
): unknown {
  return {
    rule_files: [rulesFile],
    evaluation_interval: "1m",
    tests: scenarios.map((s) => ({
      name: `${s.alert} ${s.name}`,
      interval: "1m",
      input_series: s.input,
      alert_rule_test: s.evalTimes.map((eval_time) => ({
        eval_time,
        alertname: s.alert,
        exp_alerts: s.expected.map((e) => ({
          exp_labels: { ...e.labels, ...ruleLabels(s.alert) },
          exp_annotations: e.annotations,
        })),
      })),
    })),
  };
}
