import { describe, expect, it } from "@jest/globals";
import { MutablePullSecretIndex } from "../../fakes/webhook/mutable-pull-secret-index.js";

describe("MutablePullSecretIndex", () => {
  it("answers [] for namespaces nothing targets", () => {
    expect(new MutablePullSecretIndex().secretsFor("team-a")).toEqual([]);
  });

  it("merges the owners of a namespace, de-duplicated and sorted", () => {
    const index = new MutablePullSecretIndex();
    index.set("ClusterRegistryCredential/ecr", "team-a", ["ecr-pull", "ecr-pull"]);
    index.set("RegistryCredential/team-a/gar", "team-a", ["gar-pull", "ecr-pull"]);
    index.set("ClusterRegistryCredential/ecr", "team-b", ["ecr-pull"]);
    expect(index.secretsFor("team-a")).toEqual(["ecr-pull", "gar-pull"]);
    expect(index.secretsFor("team-b")).toEqual(["ecr-pull"]);
  });

  it("set replaces an owner's names for a namespace; an empty list removes them", () => {
    const index = new MutablePullSecretIndex();
    index.set("A", "ns", ["one"]);
    index.set("B", "ns", ["two"]);
    index.set("A", "ns", ["three"]);
    expect(index.secretsFor("ns")).toEqual(["three", "two"]);
    index.set("A", "ns", []);
    expect(index.secretsFor("ns")).toEqual(["two"]);
    expect(index.namespacesOf("A")).toEqual([]);
  });

  it("setOwner replaces the owner's whole target set", () => {
    const index = new MutablePullSecretIndex();
    index.set("A", "old", ["s"]);
    index.set("A", "kept", ["s"]);
    index.set("B", "old", ["t"]);
    index.setOwner("A", [
      ["kept", ["s2"]],
      ["new", ["s"]],
    ]);
    expect(index.secretsFor("old")).toEqual(["t"]);
    expect(index.secretsFor("kept")).toEqual(["s2"]);
    expect(index.secretsFor("new")).toEqual(["s"]);
    expect(index.namespacesOf("A")).toEqual(["kept", "new"]);
  });

  it("removeOwner drops only that owner's entries", () => {
    const index = new MutablePullSecretIndex();
    index.set("A", "ns1", ["a"]);
    index.set("A", "ns2", ["a"]);
    index.set("B", "ns1", ["b"]);
    index.removeOwner("A");
    expect(index.secretsFor("ns1")).toEqual(["b"]);
    expect(index.secretsFor("ns2")).toEqual([]);
    index.removeOwner("unknown");
  });

  it("removeNamespace drops every owner's entry there", () => {
    const index = new MutablePullSecretIndex();
    index.set("A", "ns1", ["a"]);
    index.set("A", "ns2", ["a"]);
    index.set("B", "ns1", ["b"]);
    index.removeNamespace("ns1");
    expect(index.secretsFor("ns1")).toEqual([]);
    expect(index.secretsFor("ns2")).toEqual(["a"]);
    expect(index.namespacesOf("B")).toEqual([]);
    expect(index.namespacesOf("A")).toEqual(["ns2"]);
  });

  it("returns answers callers cannot modify, unaffected by later writes", () => {
    const index = new MutablePullSecretIndex();
    const names = ["a"];
    index.set("A", "ns", names);
    names.push("b");
    const answer = index.secretsFor("ns");
    expect(answer).toEqual(["a"]);
    expect(Object.isFrozen(answer)).toBe(true);
    index.set("B", "ns", ["c"]);
    expect(answer).toEqual(["a"]);
  });
});
