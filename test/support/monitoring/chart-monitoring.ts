// What the chart ships for monitoring, as the tests consume it: the PrometheusRule's groups as a
// Prometheus rules file, the labels Prometheus (through the ServiceMonitor) puts on the operator's
// series, and the Grafana dashboard's queries.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type * as k8s from "@kubernetes/client-node";
import { load } from "js-yaml";
import { chartDir, ofKind, render } from "../helm.js";
import type { AlertSettings } from "./alert-scenarios.js";
import type { Labels } from "./exposition.js";

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Labels;
  annotations?: Labels;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

interface ServiceMonitor extends k8s.KubernetesObject {
  spec: {
    selector: { matchLabels: Labels };
    endpoints: { port: string; path: string; honorLabels?: boolean }[];
  };
}

export interface ChartMonitoring {
  /** spec.groups of the rendered PrometheusRule: the content of a Prometheus rules file. */
  groups: RuleGroup[];
  alerts: AlertRule[];
  /** The target labels Prometheus Operator gives a scrape of the operator through the ServiceMonitor (without instance). */
  targetLabels: Labels;
  /** The ServiceMonitor endpoint's honorLabels. */
  honorLabels: boolean;
  /** The dashboard the chart's ConfigMap ships, parsed. */
  dashboard: GrafanaDashboard;
}

/** Renders the chart with monitoring and the dashboard on (plus `values`) and reads what they hold. */
export function renderMonitoring(release: string, namespace: string, values: object = {}): ChartMonitoring {
  const objects = render(release, namespace, {
    ...values,
    monitoring: { enabled: true, dashboard: { enabled: true } },
  });
  const [rule] = ofKind<k8s.KubernetesObject & { spec: { groups: RuleGroup[] } }>(objects, "PrometheusRule");
  const [monitor] = ofKind<ServiceMonitor>(objects, "ServiceMonitor");
  const [configMap] = ofKind<k8s.V1ConfigMap>(objects, "ConfigMap").filter((c) =>
    c.metadata?.name?.endsWith("-dashboard"),
  );
  if (!rule || !monitor || !configMap)
    throw new Error("the chart rendered no PrometheusRule, ServiceMonitor or dashboard");
  const service = ofKind<k8s.V1Service>(objects, "Service").find((s) =>
    Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => s.metadata?.labels?.[k] === v),
  );
  const [endpoint] = monitor.spec.endpoints;
  if (!service?.metadata?.name || !endpoint)
    throw new Error("the ServiceMonitor selects no Service of the chart");
  const [json] = Object.values(configMap.data ?? {});
  if (!json) throw new Error("the dashboard ConfigMap is empty");
  const groups = rule.spec.groups;
  return {
    groups,
    alerts: groups.flatMap((g) => g.rules),
    // Prometheus Operator's target labels: job is the Service's name (no jobLabel set).
    targetLabels: {
      job: service.metadata.name,
      namespace,
      service: service.metadata.name,
      endpoint: endpoint.port,
    },
    honorLabels: endpoint.honorLabels ?? false,
    dashboard: JSON.parse(json) as GrafanaDashboard,
  };
}

/**
 * The labels Prometheus stores for a scraped sample: target labels added; on a clash the scraped
 * value wins with honorLabels, else it is kept as exported_<name>. Empty values count as absent.
 */
export function storedLabels(scraped: Labels, target: Labels, honorLabels: boolean): Labels {
  const result: Labels = { ...target };
  for (const [key, value] of Object.entries(scraped)) {
    if (value === "") continue;
    if (key in target && !honorLabels) result[`exported_${key}`] = value;
    else result[key] = value;
  }
  return result;
}

export interface GrafanaDashboard {
  panels: { title: string; targets?: { expr: string; refId: string }[] }[];
  templating: { list: { name: string }[] };
}

/**
 * Every panel query with the dashboard's variables replaced by `variables` (name without "$") and
 * Grafana's $__rate_interval by `rateInterval`. Throws when a query keeps a variable not given.
 */
export function dashboardQueries(
  dashboard: GrafanaDashboard,
  variables: Record<string, string>,
  rateInterval: string,
): { panel: string; expr: string }[] {
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => {
      let expr = target.expr.replaceAll("$__rate_interval", rateInterval);
      for (const [name, value] of Object.entries(variables))
        expr = expr.replaceAll(`\${${name}}`, value).replaceAll(`$${name}`, value);
      if (expr.includes("$"))
        throw new Error(`panel "${panel.title}" uses a variable the test does not set: ${expr}`);
      return { panel: `${panel.title} (${target.refId})`, expr };
    }),
  );
}

/** The chart's default alert settings (values.yaml), which renderMonitoring renders with. */
export function defaultAlertSettings(): AlertSettings {
  const values = load(readFileSync(join(chartDir, "values.yaml"), "utf8")) as {
    monitoring: { alerts: AlertSettings };
  };
  return values.monitoring.alerts;
}
