// Verification in the credential pipeline (mintSources and collectLogins, run by the real sync on
// the in-memory cluster): which logins are checked and how often, what Enforce writes when a
// registry refuses a new login, and when a refused or pull-refused identity is minted again.
import { describe, expect, it } from "@jest/globals";
import type { RegistryCredentialSpec, VerifyPolicy } from "../../../../src/api/v1alpha1.js";
import type { CredentialResource } from "../../../../src/controller/credential/credential-kind.js";
import { identityFingerprint } from "../../../../src/controller/credential/recover-tokens.js";
import { authsOf, FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { ecrHost, fakeEcr, fakeRegistry, manualClock, registryCredential } from "../fixtures.js";
import { operatorProcess } from "../operator-process.js";

const namespace = "team-a";
const host = ecrHost("eu-west-1");
const refusedRemintMs = 5 * 60_000;
/** Past the renewal point of a 12-hour login (half its lifetime, ± 10 %), well before it expires. */
const pastRenewal = 7 * 3_600_000;

/** team-a and team-b, fake ECR, a fake registry check, and a clock tests move; `start` is a new process. */
function world() {
  const cluster = new FakeCluster();
  for (const ns of [namespace, "team-b"]) cluster.addNamespace(ns, { team: "yes" });
  const clock = manualClock(new Date("2030-01-01T00:00:00Z"));
  const ecr = fakeEcr({ now: clock.now });
  const start = (registry = fakeRegistry()) => ({
    registry,
    ...operatorProcess(cluster, {
      aws: ecr.aws,
      now: clock.now,
      ambientIdentityAllowed: () => true,
      probe: registry.probe,
      refusedRemintMs,
    }),
  });
  return { cluster, clock, ecr, start };
}

const apply = (
  cluster: FakeCluster,
  spec: Partial<RegistryCredentialSpec> = {},
  ns = namespace,
  name = "pull",
) => cluster.applyRegistryCredential(registryCredential(ns, name, spec));
const stored = (cluster: FakeCluster, ns = namespace, name = "pull") =>
  cluster.registryCredentials.get(ns, name);
const readyOf = (resource: CredentialResource | undefined) =>
  resource?.status?.conditions?.find((c) => c.type === "Ready");
const passwordIn = (cluster: FakeCluster, ns = namespace, name = "pull") =>
  authsOf(cluster.secrets.get(ns, name))[host]?.password;
const verify = (policy: VerifyPolicy): Partial<RegistryCredentialSpec> => ({ verify: policy });

describe("which logins are checked", () => {
  it("checks a new login once per host it is written for, and never a mirror alias", async () => {
    const { cluster, start } = world();
    apply(cluster, {
      sources: [
        {
          ecr: { region: "eu-west-1" },
          aliases: ["docker.io"],
          aliasesAcknowledgement: "SendsTokenUpstreamWhenMirrorFails",
        },
      ],
    });
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    expect(process.registry.asked).toEqual([host]);
    expect(Object.keys(authsOf(cluster.secrets.get(namespace, "pull"))).sort()).toEqual([host, "docker.io"]);
    expect(stored(cluster)?.status?.verification?.map((v) => v.host)).toEqual([host]);
  });

  it("checks each host of a source writing several, with the source's canary image", async () => {
    const { cluster, start } = world();
    const other = ecrHost("eu-west-1", "444455556666");
    apply(cluster, {
      sources: [
        {
          ecr: { region: "eu-west-1", registryIds: ["111122223333", "444455556666"] },
          verify: { image: "team/canary:1" },
        },
      ],
    });
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    expect(process.registry.asked.sort()).toEqual([`${host} team/canary:1`, `${other} team/canary:1`]);
  });

  it("does not check again the login of an identity another resource already had checked", async () => {
    const { cluster, ecr, start } = world();
    apply(cluster, {}, namespace);
    apply(cluster, {}, "team-b");
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    await process.syncRegistryCredential("team-b", "pull");
    expect(ecr.mints).toBe(1);
    expect(process.registry.asked).toEqual([host]);
    expect(stored(cluster, "team-b")?.status?.verification).toEqual(stored(cluster)?.status?.verification);
  });

  it("checks a login minted in this process for a resource that does not verify, once another resource of the identity does", async () => {
    const { cluster, ecr, start } = world();
    apply(cluster, verify({ mode: "Disabled" }), namespace);
    apply(cluster, {}, "team-b");
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    expect(process.registry.asked).toEqual([]);
    await process.syncRegistryCredential("team-b", "pull");
    expect(ecr.mints).toBe(1);
    expect(process.registry.asked).toEqual([host]);
  });

  it("does not check a cached login again on later syncs without spec.verify.interval", async () => {
    const { cluster, clock, start } = world();
    apply(cluster);
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    clock.advance(3_600_000);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(process.registry.asked).toEqual([host]);
  });

  it("checks the login in use again once spec.verify.interval has passed, without minting", async () => {
    const { cluster, clock, ecr, start } = world();
    apply(cluster, verify({ interval: "10m" }));
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    clock.advance(9 * 60_000);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(process.registry.asked).toHaveLength(1);
    clock.advance(60_000);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(process.registry.asked).toEqual([host, host]);
    expect(ecr.mints).toBe(1);
  });

  it.each<[string, VerifyPolicy, string[]]>([
    ["leaves logins recovered after a restart unchecked when no interval is set", {}, []],
    ["checks logins recovered after a restart when an interval is set", { interval: "30m" }, [host]],
  ])("%s", async (_name, policy, asked) => {
    const { cluster, ecr, start } = world();
    apply(cluster, verify(policy));
    await start().syncRegistryCredential(namespace, "pull");
    const before = stored(cluster)?.status?.verification;
    cluster.restart();
    const restarted = start();
    await restarted.syncRegistryCredentialOnce(namespace, "pull");
    expect(ecr.mints).toBe(1);
    expect(restarted.registry.asked).toEqual(asked);
    if (asked.length === 0) expect(stored(cluster)?.status?.verification).toEqual(before);
  });
});

describe("a login the registry refuses", () => {
  it("is written under Warn, and its check reported", async () => {
    const { cluster, ecr, start } = world();
    apply(cluster, verify({ mode: "Warn" }));
    const process = start();
    process.registry.verdict = () => "Unauthorized";
    await process.syncRegistryCredential(namespace, "pull");
    expect(passwordIn(cluster)).toBe(ecr.issued[0]);
    expect(readyOf(stored(cluster))).toMatchObject({ status: "True" });
    expect(stored(cluster)?.status?.verification).toEqual([
      expect.objectContaining({ index: 0, host, reason: "Unauthorized" }),
    ]);
  });

  it("does not replace the last login under Enforce: the Secret keeps the one it holds, not the refused one in the cache", async () => {
    const { cluster, clock, ecr, start } = world();
    apply(cluster, verify({ mode: "Enforce" }));
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    const first = ecr.issued[0];
    process.registry.verdict = ({ password }) => (password === first ? "Authenticated" : "Unauthorized");
    clock.advance(pastRenewal);
    const result = await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(ecr.mints).toBe(2);
    // The cache holds the identity's newest mint, the refused login; the Secret keeps the first.
    const identity = "ecr|eu-west-1|default|ambient";
    expect(identityFingerprint(identity)).toBe(stored(cluster)?.status?.sources?.[0]?.identity);
    expect(process.cache.peek(identity)?.tokens.map((t) => t.password)).toEqual([ecr.issued[1]]);
    expect(passwordIn(cluster)).toBe(first);
    const ready = readyOf(stored(cluster));
    expect(ready).toMatchObject({ status: "False", reason: "RegistryRefused" });
    expect(ready?.message).toContain(
      "under spec.verify.mode Enforce a refused login never replaces the one written before",
    );
    expect(ready?.message).toContain(
      "Secret team-a/pull keeps the last login of spec.sources[0] until it expires at",
    );
    expect(result.failed).toBe(true);
  });

  it("is not written under Enforce either when the next mint fails: the failed source keeps the Secret's login, not the refused one the cache still holds", async () => {
    const { cluster, clock, ecr, start } = world();
    apply(cluster, verify({ mode: "Enforce" }));
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    const first = ecr.issued[0];
    process.registry.verdict = ({ password }) => (password === first ? "Authenticated" : "Unauthorized");
    clock.advance(pastRenewal);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(passwordIn(cluster)).toBe(first);
    // The refused login is old enough to mint again, and that mint fails.
    clock.advance(refusedRemintMs);
    ecr.fail("eu-west-1");
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(ecr.mints).toBe(3); // the third, failed
    expect(passwordIn(cluster)).toBe(first);
    expect(readyOf(stored(cluster))).toMatchObject({ status: "False" });
  });

  it("is not written under Enforce when there is no Secret yet", async () => {
    const { cluster, start } = world();
    apply(cluster, verify({ mode: "Enforce" }));
    const process = start();
    process.registry.verdict = () => "Forbidden";
    await process.syncRegistryCredential(namespace, "pull");
    expect(cluster.secrets.get(namespace, "pull")).toBeUndefined();
    expect(readyOf(stored(cluster))?.message).toContain("nothing was written to Secret team-a/pull yet");
  });

  it.each<[string, "Unreachable" | "NotFound" | "Skipped"]>([
    ["an unreachable registry", "Unreachable"],
    ["a missing canary image", "NotFound"],
    ["a registry the operator may not ask", "Skipped"],
  ])("does not block a refresh under Enforce: %s", async (_name, reason) => {
    const { cluster, clock, ecr, start } = world();
    apply(cluster, verify({ mode: "Enforce" }));
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    process.registry.verdict = () => reason;
    clock.advance(pastRenewal);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(passwordIn(cluster)).toBe(ecr.issued[1]);
    expect(readyOf(stored(cluster))).toMatchObject({ status: "True", reason: "TokenRefreshed" });
  });

  it.each<["Warn" | "Enforce"]>([["Warn"], ["Enforce"]])(
    "is minted again once it is --verify-refused-remint-interval old, not sooner (%s)",
    async (mode) => {
      const { cluster, clock, ecr, start } = world();
      apply(cluster, verify({ mode }));
      const process = start();
      process.registry.verdict = ({ password }) =>
        password === ecr.issued[0] ? "Unauthorized" : "Authenticated";
      await process.syncRegistryCredential(namespace, "pull");
      clock.advance(refusedRemintMs - 1);
      await process.syncRegistryCredentialOnce(namespace, "pull");
      expect(ecr.mints).toBe(1);
      clock.advance(1);
      await process.syncRegistryCredentialOnce(namespace, "pull");
      expect(ecr.mints).toBe(2);
      expect(passwordIn(cluster)).toBe(ecr.issued[1]);
      expect(readyOf(stored(cluster))).toMatchObject({ status: "True" });
      expect(stored(cluster)?.status?.verification?.[0]?.reason).toBe("Authenticated");
    },
  );
});

describe("a canary image the registry refuses to a login it accepts", () => {
  it("is not minted again after the interval: a fresh login of the same identity may pull no more", async () => {
    const { cluster, clock, ecr, start } = world();
    apply(cluster, {
      sources: [{ ecr: { region: "eu-west-1" }, verify: { image: "team/private:1" } }],
    });
    const process = start();
    process.registry.verdict = ({ image }) => (image ? "Forbidden" : "Authenticated");
    await process.syncRegistryCredential(namespace, "pull");
    expect(stored(cluster)?.status?.verification?.[0]?.reason).toBe("Forbidden");
    clock.advance(refusedRemintMs);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(ecr.mints).toBe(1);
  });
});

describe("a fresh mint asked for by a pod failing to pull", () => {
  it("mints the identity afresh once, whatever the cache holds, and counts it", async () => {
    const { cluster, ecr, start } = world();
    apply(cluster);
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    process.remints.request(stored(cluster)?.status?.sources?.[0]?.identity as string);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(ecr.mints).toBe(2);
    expect(passwordIn(cluster)).toBe(ecr.issued[1]);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(ecr.mints).toBe(2);
    const { values } = await process.metrics.pullFailureRemints.get();
    expect(values).toEqual([{ labels: { provider: "ecr" }, value: 1 }]);
  });

  it("is taken by the first resource of the identity; the others get that fresh mint from the cache", async () => {
    const { cluster, ecr, start } = world();
    apply(cluster, {}, namespace);
    apply(cluster, {}, "team-b");
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    await process.syncRegistryCredential("team-b", "pull");
    process.remints.request(stored(cluster)?.status?.sources?.[0]?.identity as string);
    await process.syncRegistryCredentialOnce(namespace, "pull");
    await process.syncRegistryCredentialOnce("team-b", "pull");
    expect(ecr.mints).toBe(2);
    expect([passwordIn(cluster), passwordIn(cluster, "team-b")]).toEqual([ecr.issued[1], ecr.issued[1]]);
  });

  it("does nothing for an identity no source has", async () => {
    const { cluster, ecr, start } = world();
    apply(cluster);
    const process = start();
    await process.syncRegistryCredential(namespace, "pull");
    process.remints.request(identityFingerprint("gar|europe-west1-docker.pkg.dev|ambient"));
    await process.syncRegistryCredentialOnce(namespace, "pull");
    expect(ecr.mints).toBe(1);
  });
});
