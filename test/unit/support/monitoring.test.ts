// The helpers the monitoring integration test builds on: reading the exposition format, the labels
// Prometheus stores for a scraped sample, and the dashboard's queries with variables substituted.
import { describe, expect, it } from "@jest/globals";
import { dashboardQueries, storedLabels } from "../../support/monitoring/chart-monitoring.js";
import { parseExposition, seriesSelector } from "../../support/monitoring/exposition.js";

describe("parseExposition", () => {
  it("reads names, labels (with escapes and commas) and values, skipping comments", () => {
    const text = [
      "# HELP regcred_credential_ready 1 when Ready.",
      "# TYPE regcred_credential_ready gauge",
      'regcred_credential_ready{kind="RegistryCredential",namespace="team-a",name="pull"} 1',
      'odd{a="x\\"}, y",b="line\\nbreak",c="back\\\\slash"} -2.5e3',
      "bare 0",
      "",
    ].join("\n");
    expect(parseExposition(text)).toEqual([
      {
        name: "regcred_credential_ready",
        labels: { kind: "RegistryCredential", namespace: "team-a", name: "pull" },
        value: 1,
      },
      { name: "odd", labels: { a: 'x"}, y', b: "line\nbreak", c: "back\\slash" }, value: -2500 },
      { name: "bare", labels: {}, value: 0 },
    ]);
  });

  it("refuses a line it cannot read", () => {
    expect(() => parseExposition('m{a="unterminated} 1')).toThrow(/unterminated/);
    expect(() => parseExposition("m{a} 1")).toThrow(/bad labels/);
  });

  it("writes a selector back that quotes values", () => {
    expect(seriesSelector("m", { b: 'q"', a: "x" })).toBe('m{a="x", b="q\\""}');
  });
});

describe("storedLabels", () => {
  const target = { job: "j", namespace: "operator-ns", instance: "h:1" };

  it("keeps the scraped value on a clash with honorLabels, and the target's for an empty one", () => {
    expect(storedLabels({ namespace: "team-a", name: "n" }, target, true)).toEqual({
      ...target,
      namespace: "team-a",
      name: "n",
    });
    expect(storedLabels({ namespace: "", name: "c" }, target, true)).toEqual({ ...target, name: "c" });
  });

  it("renames the scraped label to exported_ without honorLabels", () => {
    expect(storedLabels({ namespace: "team-a" }, target, false)).toEqual({
      ...target,
      exported_namespace: "team-a",
    });
  });
});

describe("dashboardQueries", () => {
  const dashboard = {
    templating: { list: [{ name: "job" }] },
    panels: [
      { title: "Rates", targets: [{ refId: "A", expr: 'rate(x{job=~"$job"}[$__rate_interval])' }] },
      { title: "Text" },
    ],
  };

  it("substitutes the variables and $__rate_interval", () => {
    expect(dashboardQueries(dashboard, { job: "op" }, "1m")).toEqual([
      { panel: "Rates (A)", expr: 'rate(x{job=~"op"}[1m])' },
    ]);
  });

  it("refuses a query with a variable it was not given", () => {
    expect(() => dashboardQueries(dashboard, {}, "1m")).toThrow(/variable the test does not set/);
  });
});
