// A fleet-wide refresh keeps to the cloud's rate limit: many identities of one AWS account mint
// in ECR's burst, then at its rate, and every resource still becomes Ready.
import { describe, expect, it } from "@jest/globals";
import type { RegistryCredential } from "../../../../src/api/v1alpha1.js";
import { MintRateLimiter } from "../../../../src/tokens/mint-rate-limiter.js";
import { FakeClock, settle } from "../../../fakes/clock.js";
import { FakeCluster } from "../../../fakes/kube/fake-cluster.js";
import { fakeEcr, registryCredential } from "../fixtures.js";
import { operatorNamespace, operatorProcess } from "../operator-process.js";

/** A tenant's RegistryCredential assuming its own role in `account`: one identity per tenant. */
const tenant = (i: number, account = "111122223333") =>
  registryCredential(operatorNamespace, `tenant-${i}`, {
    sources: [
      { ecr: { region: "eu-west-1", assumeRole: { roleArn: `arn:aws:iam::${account}:role/tenant-${i}` } } },
    ],
  });
const readyOf = (rc: RegistryCredential | undefined) =>
  rc?.status?.conditions?.find((c) => c.type === "Ready");

describe("mints under ECR's rate limit", () => {
  it("250 identities of one account mint 200 at once, then 20 per second, and all become Ready", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    const names = Array.from({ length: 250 }, (_, i) => `tenant-${i}`);
    for (const [i] of names.entries()) cluster.applyRegistryCredential(tenant(i));
    const ecr = fakeEcr();
    const clock = new FakeClock();
    const process = operatorProcess(cluster, {
      aws: ecr.aws,
      mintLimiter: new MintRateLimiter(clock, { ecr: { perSecond: 20, burst: 200 } }, 1),
    });
    for (const name of names) await process.syncRegistryCredentialOnce(operatorNamespace, name); // finalizers
    const syncs = Promise.all(
      names.map((name) => process.syncRegistryCredentialOnce(operatorNamespace, name)),
    );
    await settle();
    await settle();
    expect(ecr.mints).toBe(200);
    await clock.advance(1_000);
    expect(ecr.mints).toBe(220);
    await clock.advance(1_500);
    await syncs;
    expect(ecr.mints).toBe(250);
    for (const name of names)
      expect(readyOf(cluster.registryCredentials.get(operatorNamespace, name))).toMatchObject({
        status: "True",
      });
    const waits = await process.metrics.registry
      .getSingleMetric("regcred_mint_rate_limit_wait_seconds")
      ?.get();
    expect(
      waits?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith("_count"))?.value,
    ).toBe(250);
  });

  it("a second account's identities do not wait for the first account's", async () => {
    const cluster = new FakeCluster();
    cluster.addNamespace(operatorNamespace);
    cluster.applyRegistryCredential(tenant(1, "111122223333"));
    cluster.applyRegistryCredential(tenant(2, "111122223333"));
    cluster.applyRegistryCredential(tenant(3, "444455556666"));
    const ecr = fakeEcr();
    const clock = new FakeClock();
    const process = operatorProcess(cluster, {
      aws: ecr.aws,
      mintLimiter: new MintRateLimiter(clock, { ecr: { perSecond: 1, burst: 1 } }, 1),
    });
    for (const i of [1, 2, 3]) await process.syncRegistryCredentialOnce(operatorNamespace, `tenant-${i}`);
    const syncs = Promise.all(
      [1, 2, 3].map((i) => process.syncRegistryCredentialOnce(operatorNamespace, `tenant-${i}`)),
    );
    await settle();
    await settle();
    // tenant-1 and tenant-3 minted; tenant-2 waits its account's next second.
    expect(ecr.mints).toBe(2);
    await clock.advance(1_000);
    await syncs;
    expect(ecr.mints).toBe(3);
  });
});
