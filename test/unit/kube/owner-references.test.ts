import { describe, expect, it } from "@jest/globals";
import type { V1OwnerReference } from "@kubernetes/client-node";
import { withOwnerReference } from "../../../src/kube/owner-references.js";

const role = (uid: string, name = "rco"): V1OwnerReference => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  name,
  uid,
});
const deployment: V1OwnerReference = { apiVersion: "apps/v1", kind: "Deployment", name: "rco", uid: "d-1" };

describe("withOwnerReference", () => {
  it.each<[string, V1OwnerReference[] | undefined, V1OwnerReference[]]>([
    ["adds the owner where there are no references", undefined, [role("u-1")]],
    [
      "keeps references to other kinds and adds the owner after them",
      [deployment],
      [deployment, role("u-1")],
    ],
    ["replaces a reference to the same kind and name with an old uid", [role("u-0")], [role("u-1")]],
    [
      "keeps a reference to another object of the same kind",
      [role("u-9", "other")],
      [role("u-9", "other"), role("u-1")],
    ],
  ])("%s", (_case, current, expected) => {
    expect(withOwnerReference(current, role("u-1"))).toEqual(expected);
  });

  it("returns the same array when the owner's uid is already referenced", () => {
    const current = [deployment, role("u-1")];
    expect(withOwnerReference(current, role("u-1"))).toBe(current);
  });
});
