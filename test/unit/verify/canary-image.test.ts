// The canary image grammar: distribution's repository, tag and digest rules, without the host.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { canaryImagePattern, parseCanaryImage } from "../../../src/verify/canary-image.js";

const sha256 = `sha256:${"a".repeat(64)}`;
const host = "registry.example.com:5000";

describe("a canary image", () => {
  it.each<[string, string, { repository: string; reference: string }]>([
    ["takes a tag", "team/app:1", { repository: "team/app", reference: "1" }],
    ["defaults the tag to latest", "team/app", { repository: "team/app", reference: "latest" }],
    ["takes a digest", `library/busybox@${sha256}`, { repository: "library/busybox", reference: sha256 }],
    ["takes a one-component repository", "busybox:1.36.1", { repository: "busybox", reference: "1.36.1" }],
    [
      "takes separators distribution allows",
      "a.b/c_d/e__f/g--h:v1_2.3-x",
      { repository: "a.b/c_d/e__f/g--h", reference: "v1_2.3-x" },
    ],
    ["takes a tag of upper-case letters", "team/app:V1", { repository: "team/app", reference: "V1" }],
    [
      "takes a tag of 128 characters",
      `team/app:${"t".repeat(128)}`,
      { repository: "team/app", reference: "t".repeat(128) },
    ],
  ])("%s", (_name, image, expected) => {
    expect(parseCanaryImage(image, host)).toEqual(expected);
  });

  it.each<[string, string, RegExp]>([
    ["refuses upper case in a repository", "Team/app:1", /is not repository\[:tag\|@digest\]/],
    [
      "refuses the registry host in front",
      `${host}/team/app:1`,
      /starts with the registry host; name the repository without it \(e\.g\. "team\/app:1"\)/,
    ],
    ["refuses a scheme", "https://team/app", /is not repository/],
    ["refuses an empty image", "", /is not repository/],
    ["refuses a leading separator", "-team/app", /is not repository/],
    ["refuses a trailing slash", "team/app/", /is not repository/],
    ["refuses an empty path component", "team//app", /is not repository/],
    ["refuses a tag of 129 characters", `team/app:${"t".repeat(129)}`, /is not repository/],
    ["refuses a tag that starts with a dot", "team/app:.1", /is not repository/],
    ["refuses a digest of the wrong length", `team/app@sha256:${"a".repeat(63)}`, /is not repository/],
    ["refuses a digest in upper-case hex", `team/app@sha256:${"A".repeat(64)}`, /is not repository/],
    ["refuses an unknown digest algorithm", `team/app@md5:${"a".repeat(32)}`, /is not repository/],
    ["refuses a tag and a digest together", `team/app:1@${sha256}`, /is not repository/],
    ["refuses spaces", "team/app :1", /is not repository/],
    [
      "refuses a repository longer than 255 characters",
      `${"a".repeat(200)}/${"b".repeat(60)}`,
      /names a repository of 261 characters; registries accept at most 255/,
    ],
  ])("%s", (_name, image, problem) => {
    const parsed = parseCanaryImage(image, host);
    expect(parsed).toEqual({ problem: expect.stringMatching(problem) });
  });
});

describe("the canary image pattern (for the CRD)", () => {
  it.each<[string, boolean]>([
    ["team/app:1", true],
    [`library/busybox@sha256:${"0".repeat(64)}`, true],
    ["a.b/c_d/e__f/g--h", true],
    ["Team/app", false],
    ["team/app:1@sha256:0", false],
    ["team//app", false],
    [`team/app@sha256:${"0".repeat(63)}`, false],
  ])("takes %s: %s, as the parser does", (image, valid) => {
    expect(new RegExp(canaryImagePattern).test(image)).toBe(valid);
    expect("problem" in parseCanaryImage(image, "registry.example.com")).toBe(!valid);
  });
});

describe("the CRD's verify.image pattern", () => {
  it("is the probe's own grammar, so admission refuses exactly what the probe would skip", () => {
    const crd = readFileSync(
      new URL("../../../deploy/crds/regcred.dev_registrycredentials.yaml", import.meta.url),
      "utf8",
    );
    const patterns = [...crd.matchAll(/pattern: (\^\[a-z0-9\]\+\(\?:.*)$/gm)].map((m) => m[1]);
    expect(patterns).toContain(canaryImagePattern);
  });
});
