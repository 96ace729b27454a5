import { describe, expect, it } from "@jest/globals";
import type { VerificationReason, VerificationStatus } from "../../../src/api/v1alpha1.js";
import type { LoginCheck } from "../../../src/verify/login-verifier.js";
import {
  type SourceChecks,
  verificationEntries,
  verifiedCondition,
} from "../../../src/verify/verified-condition.js";

const t0 = "2030-01-01T00:00:00.000Z";
const t1 = "2030-01-01T01:00:00.000Z";
const ecr = "111122223333.dkr.ecr.eu-west-1.amazonaws.com";
const gar = "europe-west1-docker.pkg.dev";
const quay = "quay.io";

/** A check as the verifier returns it. */
function check(
  host: string,
  reason: VerificationReason,
  options: { image?: string; at?: string } = {},
): LoginCheck {
  return {
    host,
    reason,
    message: `${reason} said ${host}`,
    at: new Date(options.at ?? t1),
    ...(options.image ? { image: options.image } : {}),
  };
}

/** A status.verification entry as an earlier sync wrote it. */
function entry(
  index: number,
  host: string,
  reason: VerificationReason,
  options: { image?: string; at?: string } = {},
): VerificationStatus {
  return {
    index,
    host,
    reason,
    message: `${reason} said ${host}`,
    verifiedAt: options.at ?? t0,
    ...(options.image ? { image: options.image } : {}),
  };
}

describe("verificationEntries", () => {
  it("turns this sync's checks into entries, with the canary image and the check's time", () => {
    const sources: SourceChecks[] = [
      { index: 0, checks: [check(ecr, "Forbidden", { image: "team/canary:1" })] },
    ];
    expect(verificationEntries(sources, undefined)).toEqual([
      {
        index: 0,
        host: ecr,
        image: "team/canary:1",
        reason: "Forbidden",
        message: `Forbidden said ${ecr}`,
        verifiedAt: t1,
      },
    ]);
  });

  it.each<[string, SourceChecks[], VerificationStatus[] | undefined, VerificationStatus[]]>([
    [
      "fresh checks of a source replace every previous entry of that source",
      [{ index: 0, checks: [check(ecr, "Authenticated")] }],
      [entry(0, ecr, "Unauthorized"), entry(0, quay, "Unauthorized")],
      [entry(0, ecr, "Authenticated", { at: t1 })],
    ],
    [
      "a source without checks now keeps its previous entries",
      [{ index: 0, checks: [check(ecr, "Authenticated")] }, { index: 1 }],
      [entry(0, ecr, "Unreachable"), entry(1, gar, "Unauthorized")],
      [entry(0, ecr, "Authenticated", { at: t1 }), entry(1, gar, "Unauthorized")],
    ],
    [
      "entries of a source no longer in the spec are dropped",
      [{ index: 0 }],
      [entry(0, ecr, "Authenticated"), entry(1, gar, "Unauthorized"), entry(2, quay, "Skipped")],
      [entry(0, ecr, "Authenticated")],
    ],
    [
      "a source with an empty list of checks has no entries, whatever it had before",
      [{ index: 0, checks: [] }],
      [entry(0, ecr, "Unauthorized")],
      [],
    ],
    [
      "nothing comes of sources without checks and no previous status",
      [{ index: 0 }, { index: 1 }],
      undefined,
      [],
    ],
    [
      "entries are sorted by source index, then host",
      [{ index: 1, checks: [check(quay, "Authenticated"), check(gar, "Authenticated")] }, { index: 0 }],
      [entry(0, ecr, "Authenticated")],
      [
        entry(0, ecr, "Authenticated"),
        entry(1, gar, "Authenticated", { at: t1 }),
        entry(1, quay, "Authenticated", { at: t1 }),
      ],
    ],
  ])("%s", (_name, sources, previous, expected) => {
    expect(verificationEntries(sources, previous)).toEqual(expected);
  });
});

describe("verifiedCondition", () => {
  it("says nothing when there are no entries", () => {
    expect(verifiedCondition([])).toBeUndefined();
  });

  it.each<[string, VerificationStatus[], { status: string; reason: string }]>([
    [
      "Unauthorized outranks Forbidden, NotFound, Unreachable and Skipped",
      [
        entry(0, ecr, "Skipped"),
        entry(1, gar, "Unreachable"),
        entry(2, quay, "NotFound"),
        entry(3, "ghcr.io", "Forbidden"),
        entry(4, "registry.example", "Unauthorized"),
      ],
      { status: "False", reason: "Unauthorized" },
    ],
    [
      "Forbidden outranks NotFound and Unreachable",
      [entry(0, ecr, "Unreachable"), entry(1, gar, "NotFound"), entry(2, quay, "Forbidden")],
      { status: "False", reason: "Forbidden" },
    ],
    [
      "NotFound outranks Unreachable and Authenticated",
      [entry(0, ecr, "Authenticated"), entry(1, gar, "Unreachable"), entry(2, quay, "NotFound")],
      { status: "False", reason: "NotFound" },
    ],
    [
      "Unreachable outranks Skipped and Authenticated, and is Unknown",
      [entry(0, ecr, "Authenticated"), entry(1, gar, "Skipped"), entry(2, quay, "Unreachable")],
      { status: "Unknown", reason: "Unreachable" },
    ],
    [
      "every registry Skipped is Unknown",
      [entry(0, ecr, "Skipped"), entry(1, gar, "Skipped")],
      { status: "Unknown", reason: "Skipped" },
    ],
    [
      "every registry asked accepting is True even when others were skipped",
      [entry(0, ecr, "Authenticated"), entry(1, gar, "Skipped")],
      { status: "True", reason: "Authenticated" },
    ],
  ])("%s", (_name, entries, expected) => {
    expect(verifiedCondition(entries)).toMatchObject({ type: "Verified", ...expected });
  });

  it("names only the entries of the reason it reports, with their source, host and canary", () => {
    const condition = verifiedCondition([
      entry(0, ecr, "Unauthorized"),
      entry(1, gar, "Forbidden", { image: "proj/repo/canary:1" }),
      entry(2, quay, "Unauthorized"),
    ]);
    expect(condition?.message).toBe(
      `spec.sources[0] ${ecr}: Unauthorized said ${ecr}; spec.sources[2] ${quay}: Unauthorized said ${quay}`,
    );
  });

  it("names the canary image of a refusal", () => {
    const condition = verifiedCondition([entry(1, gar, "Forbidden", { image: "proj/repo/canary:1" })]);
    expect(condition?.message).toBe(
      `spec.sources[1] ${gar} (canary proj/repo/canary:1): Forbidden said ${gar}`,
    );
  });

  it("counts the logins accepted and names every one", () => {
    const condition = verifiedCondition([entry(0, ecr, "Authenticated"), entry(1, gar, "Authenticated")]);
    expect(condition).toEqual({
      type: "Verified",
      status: "True",
      reason: "Authenticated",
      message: `2 registry login(s) accepted: spec.sources[0] ${ecr}, spec.sources[1] ${gar}`,
    });
  });

  it("names the registries it did not ask, with why, when the others accepted", () => {
    const condition = verifiedCondition([entry(0, ecr, "Authenticated"), entry(1, gar, "Skipped")]);
    expect(condition?.message).toBe(
      `1 registry login(s) accepted: spec.sources[0] ${ecr}; not asked: spec.sources[1] ${gar}: Skipped said ${gar}`,
    );
  });
});
