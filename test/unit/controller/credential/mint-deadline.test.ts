// Every mint has a deadline, and stopping the operator abandons mints in flight: a stalled provider
// shows as ProviderError "timed out" and never holds a worker, its identity or a shutdown. Finding 7.
import { describe, expect, it } from "@jest/globals";
import type { RegistryCredential } from "../../../../src/api/v1alpha1.js";
import type { GoogleClientFactories } from "../../../../src/providers/gar/provider.js";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { fakeEcr, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

/** Ambient Google credentials whose token request never answers, as a stalled GKE metadata server. */
function stalledGoogle(): GoogleClientFactories & { calls: number } {
  const factories = {
    calls: 0,
    endpoints: {
      stsTokenUrl: "https://sts.test",
      iamCredentialsUrl: "https://iam.test",
      allowedTokenUris: [],
    },
    fetch: () => new Promise<Response>(() => {}),
    ambientClient: async () => ({
      getAccessToken: () => {
        factories.calls++;
        return new Promise<{ token?: string }>(() => {});
      },
      credentials: {},
    }),
    externalAccountClient: () => {
      throw new Error("unused");
    },
  };
  return factories;
}

const gar = (name: string) =>
  registryCredential(operatorNamespace, name, {
    sources: [{ gar: { registries: ["europe-west1-docker.pkg.dev"] } }],
  });
const readyOf = (rc: RegistryCredential | undefined) =>
  rc?.status?.conditions?.find((c) => c.type === "Ready");

describe("a mint", () => {
  it("is given an AbortSignal by the sync", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.applyRegistryCredential(registryCredential(operatorNamespace, "pull"));
    const ecr = fakeEcr();
    await operatorProcess(cluster, { aws: ecr.aws }).syncRegistryCredential(operatorNamespace, "pull");
    const [sent] = ecr.aws.sentFor("GetAuthorizationToken");
    expect(sent?.client.abortSignal).toBeInstanceOf(AbortSignal);
  });

  it("that never answers fails its source as timed out, for every resource sharing the identity, and frees the identity", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    for (const name of ["a", "b"]) cluster.applyRegistryCredential(gar(name));
    const google = stalledGoogle();
    const process = operatorProcess(cluster, { google, deadlineMs: 200 });
    for (const name of ["a", "b"]) await process.syncRegistryCredentialOnce(operatorNamespace, name); // finalizers
    const outcomes = await Promise.all(
      ["a", "b"].map((name) => process.syncRegistryCredentialOnce(operatorNamespace, name)),
    );
    for (const outcome of outcomes) expect(outcome.failed).toBe(true);
    for (const name of ["a", "b"]) {
      const ready = readyOf(cluster.registryCredentials.get(operatorNamespace, name));
      expect(ready).toMatchObject({ status: "False", reason: "ProviderError" });
      expect(ready?.message).toContain("timed out after 0.2 s");
    }
    // The two shared one mint; the next sync starts a new one instead of joining the stalled one.
    expect(google.calls).toBe(1);
    await process.syncRegistryCredentialOnce(operatorNamespace, "a", 2);
    expect(google.calls).toBe(2);
  });

  it("in flight is abandoned when the operator stops, so the shutdown completes", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.applyRegistryCredential(gar("a"));
    const google = stalledGoogle();
    const process = operatorProcess(cluster, { google });
    process.registryCredentialController().start();
    while (google.calls === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await process.stop();
    expect(readyOf(cluster.registryCredentials.get(operatorNamespace, "a"))).toBeUndefined();
  });
});
