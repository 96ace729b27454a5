// The Prometheus text exposition format (what the operator's /metrics serves), read into samples.

export type Labels = Record<string, string>;

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** Every sample line of `text`; comments and blank lines are skipped. Throws on a line it cannot read. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0];
    if (!name) throw new Error(`not an exposition sample: ${line}`);
    const { labels, end } =
      line[name.length] === "{" ? readLabels(line, name.length + 1) : { labels: {}, end: name.length };
    const value = Number(line.slice(end).trim().split(/\s+/)[0]);
    if (line.slice(end).trim() === "") throw new Error(`sample without a value: ${line}`);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** Reads `name="value",...}` from `start`; returns the labels and the index after the "}". */
function readLabels(line: string, start: number): { labels: Labels; end: number } {
  const labels: Labels = {};
  let i = start;
  for (;;) {
    while (line[i] === "," || line[i] === " ") i++;
    if (line[i] === "}") return { labels, end: i + 1 };
    const eq = line.indexOf("=", i);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error(`bad labels in: ${line}`);
    const key = line.slice(i, eq).trim();
    let value = "";
    for (i = eq + 2; line[i] !== '"'; i++) {
      if (i >= line.length) throw new Error(`unterminated label value in: ${line}`);
      if (line[i] === "\\") {
        i++;
        value += line[i] === "n" ? "\n" : line[i];
      } else value += line[i];
    }
    labels[key] = value;
    i++;
  }
}

/** A PromQL series selector for `name` with exactly `labels`. */
export function seriesSelector(name: string, labels: Labels): string {
  const pairs = Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${pairs.join(", ")}}`;
}
