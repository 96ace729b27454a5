import { describe, expect, it, jest } from "@jest/globals";
import type { VerificationReason } from "../../../src/api/v1alpha1.js";
import { OperatorMetrics } from "../../../src/metrics/metrics.js";
import type { RegistryToken } from "../../../src/providers/provider.js";
import { LoginVerifier } from "../../../src/verify/login-verifier.js";
import type { RegistryProbe } from "../../../src/verify/registry-probe.js";
import { FakeClock } from "../../fakes/clock.js";

const host = "111122223333.dkr.ecr.eu-west-1.amazonaws.com";
const login = (password = "fake-password-1", at = host): RegistryToken => ({
  host: at,
  username: "AWS",
  password,
});

type ProbeRequest = Parameters<RegistryProbe>[0];

/** A probe answering `reason` (per host, else Authenticated) and recording what it was asked. */
function fakeProbe(reasons: Record<string, VerificationReason> = {}) {
  return jest.fn(async (request: ProbeRequest) => {
    const reason = reasons[request.host] ?? "Authenticated";
    return { reason, message: `GET https://${request.host}/v2/: ${reason}` };
  });
}

/** A probe whose one answer the test releases by hand. */
function heldProbe() {
  let release: (reason: VerificationReason) => void = () => {};
  const answer = new Promise<VerificationReason>((resolve) => {
    release = resolve;
  });
  const probe = jest.fn(async (_request: ProbeRequest) => {
    const reason = await answer;
    return { reason, message: reason };
  });
  return { probe, release };
}

function verifierWith(probe: RegistryProbe) {
  const clock = new FakeClock();
  const metrics = new OperatorMetrics({ processMetrics: false });
  return { verifier: new LoginVerifier(probe, clock, metrics), clock, metrics };
}

/** regcred_verification_total as "provider result" → count, read from the metrics' registry. */
async function verifications(metrics: OperatorMetrics): Promise<Record<string, number>> {
  const metric = metrics.registry.getSingleMetric("regcred_verification_total");
  const out: Record<string, number> = {};
  for (const { labels, value } of (await metric?.get())?.values ?? [])
    out[`${labels.provider} ${labels.result}`] = value;
  return out;
}

describe("LoginVerifier.check", () => {
  it("asks the probe with the login's host and credentials and stamps the answer with the clock's time", async () => {
    const probe = fakeProbe({ [host]: "Unauthorized" });
    const { verifier, clock } = verifierWith(probe);
    const signal = new AbortController().signal;
    const check = await verifier.check(login(), { provider: "ecr", image: "team/canary:1", signal });
    expect(probe).toHaveBeenCalledWith({
      host,
      username: "AWS",
      password: "fake-password-1",
      image: "team/canary:1",
      signal,
    });
    expect(check).toEqual({
      host,
      image: "team/canary:1",
      reason: "Unauthorized",
      message: `GET https://${host}/v2/: Unauthorized`,
      at: clock.date(),
    });
  });

  it("leaves image and signal out of the request when none is given", async () => {
    const probe = fakeProbe();
    const { verifier } = verifierWith(probe);
    await verifier.check(login(), { provider: "ecr" });
    expect(probe.mock.calls[0]?.[0]).toEqual({ host, username: "AWS", password: "fake-password-1" });
  });

  it.each<[string, (v: LoginVerifier, l: RegistryToken) => Promise<unknown>, number]>([
    [
      "the same login asked twice is probed once",
      async (v, l) => {
        await v.check(l, { provider: "ecr" });
        await v.check(l, { provider: "ecr" });
      },
      1,
    ],
    [
      "the same login with another canary image is probed again",
      async (v, l) => {
        await v.check(l, { provider: "ecr" });
        await v.check(l, { provider: "ecr", image: "team/canary:1" });
        await v.check(l, { provider: "ecr", image: "team/canary:1" });
      },
      2,
    ],
    [
      "another login object with equal contents is probed on its own",
      async (v, l) => {
        await v.check(l, { provider: "ecr" });
        await v.check({ ...l }, { provider: "ecr" });
      },
      2,
    ],
    [
      "concurrent callers of one login share one probe",
      async (v, l) => {
        await Promise.all([
          v.check(l, { provider: "ecr" }),
          v.check(l, { provider: "ecr" }),
          v.check(l, { provider: "ecr" }),
        ]);
      },
      1,
    ],
  ])("%s", async (_name, calls, probes) => {
    const probe = fakeProbe();
    const { verifier } = verifierWith(probe);
    await calls(verifier, login());
    expect(probe).toHaveBeenCalledTimes(probes);
  });

  it("hands every concurrent caller the one answer, once it comes", async () => {
    const { probe, release } = heldProbe();
    const { verifier } = verifierWith(probe);
    const l = login();
    const first = verifier.check(l, { provider: "ecr" });
    const second = verifier.check(l, { provider: "ecr" });
    release("Forbidden");
    const [a, b] = await Promise.all([first, second]);
    expect(a).toBe(b);
    expect(a.reason).toBe("Forbidden");
    expect(probe).toHaveBeenCalledTimes(1);
  });

  it.each<[string, number, number]>([
    ["returns the memoised check while it is younger than maxAgeMs", 59_999, 1],
    ["probes again once the check is maxAgeMs old", 60_000, 2],
    ["probes again when the check is older than maxAgeMs", 3_600_000, 2],
  ])("%s", async (_name, elapsed, probes) => {
    const probe = fakeProbe();
    const { verifier, clock } = verifierWith(probe);
    const l = login();
    const first = await verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 });
    clock.skip(elapsed);
    const second = await verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 });
    expect(probe).toHaveBeenCalledTimes(probes);
    expect(second.at).toEqual(probes === 1 ? first.at : clock.date());
  });

  it("never probes again for a caller without maxAgeMs, however old the check", async () => {
    const probe = fakeProbe();
    const { verifier, clock } = verifierWith(probe);
    const l = login();
    await verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 });
    clock.skip(24 * 3_600_000);
    await verifier.check(l, { provider: "ecr" });
    expect(probe).toHaveBeenCalledTimes(1);
  });

  it("has concurrent callers finding a stale check share one new probe", async () => {
    const probe = fakeProbe();
    const { verifier, clock } = verifierWith(probe);
    const l = login();
    await verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 });
    clock.skip(120_000);
    const [a, b] = await Promise.all([
      verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 }),
      verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 }),
    ]);
    expect(probe).toHaveBeenCalledTimes(2);
    expect(a).toBe(b);
    expect(a.at).toEqual(clock.date());
  });
});

describe("LoginVerifier.checked and settled", () => {
  it("tell a login being checked from one whose check completed, per canary image", async () => {
    const { probe, release } = heldProbe();
    const { verifier } = verifierWith(probe);
    const l = login();
    expect(verifier.checked(l)).toBe(false);
    expect(verifier.settled(l)).toBeUndefined();
    const pending = verifier.check(l, { provider: "ecr", image: "team/canary:1" });
    expect(verifier.checked(l, "team/canary:1")).toBe(true);
    expect(verifier.checked(l)).toBe(false);
    expect(verifier.settled(l, "team/canary:1")).toBeUndefined();
    release("NotFound");
    const done = await pending;
    expect(verifier.settled(l, "team/canary:1")).toBe(done);
    expect(verifier.settled(l)).toBeUndefined();
    expect(verifier.checked({ ...l }, "team/canary:1")).toBe(false);
  });

  it("settled returns the newest check after a re-probe", async () => {
    const reasons: Record<string, VerificationReason> = { [host]: "Authenticated" };
    const probe = fakeProbe(reasons);
    const { verifier, clock } = verifierWith(probe);
    const l = login();
    await verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 });
    reasons[host] = "Unauthorized";
    clock.skip(60_000);
    await verifier.check(l, { provider: "ecr", maxAgeMs: 60_000 });
    expect(verifier.settled(l)).toMatchObject({ reason: "Unauthorized", at: clock.date() });
  });
});

describe("regcred_verification_total", () => {
  it("counts each probe by provider and result, and no memoised answer", async () => {
    const probe = fakeProbe({ "europe-west1-docker.pkg.dev": "Forbidden" });
    const { verifier, metrics } = verifierWith(probe);
    const ecrLogin = login();
    const garLogin = login("fake-gar-token", "europe-west1-docker.pkg.dev");
    await verifier.check(ecrLogin, { provider: "ecr" });
    await verifier.check(ecrLogin, { provider: "ecr" });
    await verifier.check(login("fake-password-2"), { provider: "ecr" });
    await verifier.check(garLogin, { provider: "gar" });
    expect(await verifications(metrics)).toEqual({ "ecr Authenticated": 2, "gar Forbidden": 1 });
  });
});
