// Registry hosts as the kubelet reads dockerconfigjson keys, and when two hosts are one registry.
import { describe, expect, it } from "@jest/globals";
import { parseAuthKey, registryHostProblem, registryOf } from "../../../src/providers/registry-host.js";

describe("an auths key", () => {
  it.each<[string, string, string]>([
    ["Docker Hub's legacy key, as the kubelet reads it", "https://index.docker.io/v1/", "index.docker.io"],
    ["a bare host", "quay.io", "quay.io"],
    ["a host with a port", "harbor.example.com:8443", "harbor.example.com:8443"],
    ["an http URL with the /v2/ path", "http://registry.local:5000/v2/", "registry.local:5000"],
    ["a host in upper case", "Quay.IO", "quay.io"],
    ["an https URL with a trailing slash", "https://ghcr.io/", "ghcr.io"],
  ])("reads %s as its host", (_name, key, host) => {
    expect(parseAuthKey(key)).toEqual({ host });
  });

  it.each<[string, string, string]>([
    ["a key scoped to a repository path", "quay.io/team", 'is scoped to the repository path "/team"'],
    ["a /v1 path without its slash", "https://index.docker.io/v1", 'is scoped to the repository path "/v1"'],
    ["a wildcard", "*.azurecr.io", "is a wildcard"],
    ["a key with credentials in it", "https://user:pw@quay.io", "is not a registry host"],
    ["an empty key", "", "is not a registry host"],
    ["a query", "quay.io?x=1", "is not a registry host"],
  ])("refuses %s, quoting it", (_name, key, problem) => {
    const parsed = parseAuthKey(key);
    expect(parsed).toEqual({ problem: expect.stringContaining(problem) });
    expect((parsed as { problem: string }).problem).toContain(JSON.stringify(key));
  });
});

describe("a registry host in a spec", () => {
  it.each<[string, string, string | undefined]>([
    ["a bare host", "docker.io", undefined],
    ["an IP address with a port", "10.0.0.7:5000", undefined],
    ["Docker Hub's legacy key", "https://index.docker.io/v1/", 'write "index.docker.io"'],
    ["a host with a repository path", "quay.io/team", "is not a bare registry host (a lower-case host name"],
  ])("%s", (_name, host, problem) => {
    const found = registryHostProblem(host);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it("counts Docker Hub's two names as one registry, and nothing else", () => {
    expect(registryOf("index.docker.io")).toBe(registryOf("docker.io"));
    expect(registryOf("registry-1.docker.io")).not.toBe(registryOf("docker.io"));
    expect(registryOf("quay.io")).toBe("quay.io");
  });
});
