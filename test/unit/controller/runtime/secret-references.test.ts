// The index of which credential resources read which Secrets: what it follows, whom it notifies,
// and that each actual change of a Secret notifies each reader once, however often it is reported.
import { describe, expect, it } from "@jest/globals";
import { type SecretRef, SecretReferences } from "../../../../src/controller/runtime/secret-references.js";

const ref = (namespace: string, name: string): SecretRef => ({ namespace, name });

/** An index with the given owners tracked; `notified` lists "owner <- namespace/name" per notification. */
function indexOf(tracked: [string, SecretRef[]][]) {
  const references = new SecretReferences();
  const notified: string[] = [];
  for (const [owner, secrets] of tracked)
    references.track(owner, secrets, (s) => notified.push(`${owner} <- ${s.namespace}/${s.name}`));
  return { references, notified };
}

describe("SecretReferences", () => {
  it.each<[string, [string, SecretRef[]][], (r: SecretReferences) => void, SecretRef, string[]]>([
    [
      "notifies the one resource that reads the Secret",
      [["rc/a", [ref("team-a", "keys")]]],
      () => {},
      ref("team-a", "keys"),
      ["rc/a <- team-a/keys"],
    ],
    [
      "notifies each resource that reads the Secret, once each",
      [
        ["rc/a", [ref("ops", "keys"), ref("ops", "keys")]],
        ["crc/b", [ref("ops", "keys"), ref("ops", "gcp")]],
      ],
      () => {},
      ref("ops", "keys"),
      ["rc/a <- ops/keys", "crc/b <- ops/keys"],
    ],
    [
      "notifies nobody for a Secret of the same name in another namespace",
      [["rc/a", [ref("team-a", "keys")]]],
      () => {},
      ref("team-b", "keys"),
      [],
    ],
    [
      "notifies nobody for a Secret a resource read before its spec changed",
      [["rc/a", [ref("team-a", "old")]]],
      (r) => r.track("rc/a", [ref("team-a", "new")], () => {}),
      ref("team-a", "old"),
      [],
    ],
    [
      "notifies nobody once the resource is forgotten",
      [["rc/a", [ref("team-a", "keys")]]],
      (r) => r.untrack("rc/a"),
      ref("team-a", "keys"),
      [],
    ],
    [
      "notifies nobody once the resource reads no Secret any more",
      [["rc/a", [ref("team-a", "keys")]]],
      (r) => r.track("rc/a", [], () => {}),
      ref("team-a", "keys"),
      [],
    ],
    [
      "still notifies the other reader when one of two is forgotten",
      [
        ["rc/a", [ref("ops", "keys")]],
        ["crc/b", [ref("ops", "keys")]],
      ],
      (r) => r.untrack("rc/a"),
      ref("ops", "keys"),
      ["crc/b <- ops/keys"],
    ],
  ])("%s", (_name, tracked, then, changed, expected) => {
    const { references, notified } = indexOf(tracked);
    then(references);
    expect(references.observe(changed.namespace, changed.name, "7")).toBe(expected.length);
    expect(notified).toEqual(expected);
  });

  it.each<[string, (string | null)[], number]>([
    ["a first sighting (a change seen after the resource started reading it)", ["5"], 1],
    ["the same resourceVersion reported again", ["5", "5", "5"], 1],
    ["each new resourceVersion", ["5", "6", "7"], 3],
    ["a deletion", ["5", null], 2],
    ["a deletion reported twice", ["5", null, null], 2],
    ["a re-creation after a deletion", ["5", null, "9"], 3],
  ])("notifies once per actual change: %s", (_name, versions, expected) => {
    const { references, notified } = indexOf([["rc/a", [ref("team-a", "keys")]]]);
    for (const version of versions) references.observe("team-a", "keys", version);
    expect(notified).toHaveLength(expected);
  });

  it.each<[string, boolean, { resourceVersion: string }[], string[]]>([
    ["records a first list without notifying", true, [{ resourceVersion: "5" }], []],
    ["reports nothing for a relist that finds what was seen", false, [{ resourceVersion: "5" }], []],
    [
      "reports a Secret changed while the watch was away",
      false,
      [{ resourceVersion: "8" }],
      ["rc/a <- ops/keys"],
    ],
    ["reports a Secret deleted while the watch was away", false, [], ["rc/a <- ops/keys"]],
  ])("%s", (_name, initial, listed, expected) => {
    const { references, notified } = indexOf([["rc/a", [ref("ops", "keys")]]]);
    references.observe("ops", "keys", "5");
    notified.length = 0;
    references.listed(
      listed.map((l) => ({ namespace: "ops", name: "keys", ...l })),
      initial,
    );
    expect(notified).toEqual(expected);
  });

  it("keeps a Secret's last seen version while its readers change, and forgets it with the last reader", () => {
    const { references, notified } = indexOf([["rc/a", [ref("ops", "keys")]]]);
    references.observe("ops", "keys", "5");
    references.track("crc/b", [ref("ops", "keys")], (s) =>
      notified.push(`crc/b <- ${s.namespace}/${s.name}`),
    );
    references.untrack("rc/a");
    expect(references.observe("ops", "keys", "5")).toBe(0);
    references.untrack("crc/b");
    expect(references.size).toBe(0);
    expect(notified).toEqual(["rc/a <- ops/keys"]);
  });

  it.each<[string, [string, SecretRef[]][], number]>([
    ["nothing when no resource reads a Secret", [["rc/a", []]], 0],
    [
      "each referenced Secret once, however many resources read it",
      [
        ["rc/a", [ref("ops", "keys")]],
        ["crc/b", [ref("ops", "keys"), ref("ops", "gcp")]],
        ["rc/c", [ref("team-c", "keys")]],
      ],
      3,
    ],
  ])("holds %s", (_name, tracked, size) => {
    const { references } = indexOf(tracked);
    expect(references.size).toBe(size);
  });

  it.each<[string, string | undefined, string | undefined, boolean]>([
    ["a referenced Secret", "ops", "keys", true],
    ["an unreferenced name", "ops", "other", false],
    ["an object without a namespace", undefined, "keys", false],
    ["an object without a name", "ops", undefined, false],
  ])("tells whether %s is referenced", (_name, namespace, name, expected) => {
    const { references } = indexOf([["crc/b", [ref("ops", "keys")]]]);
    expect(references.isReferenced(namespace, name)).toBe(expected);
  });
});
