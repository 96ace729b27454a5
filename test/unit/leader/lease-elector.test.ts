import { describe, expect, it } from "@jest/globals";
import {
  LeaseElector,
  type LeaseElectorOptions,
  validateTimings,
} from "../../../src/leader/lease-elector.js";
import { FakeClock, settle } from "../../fakes/clock.js";
import { FakeLeaseApi } from "../../fakes/leader/fake-lease-api.js";

// leaseDuration 15 s, renewDeadline 10 s, retryPeriod 2 s: the defaults.
function elector(api: FakeLeaseApi, clock: FakeClock, options: Partial<LeaseElectorOptions> = {}) {
  return new LeaseElector({ api, clock, namespace: "ns", name: "lease", identity: "me", ...options });
}

function recorder() {
  const events: string[] = [];
  let signal: AbortSignal | undefined;
  return {
    events,
    signal: () => signal,
    callbacks: {
      onStartedLeading(s: AbortSignal) {
        signal = s;
        events.push("started");
      },
      onStoppedLeading() {
        events.push("stopped");
      },
      onNewLeader(identity: string) {
        events.push(`leader:${identity}`);
      },
    },
  };
}

describe("LeaseElector.tryAcquireOrRenew", () => {
  it("creates the Lease when it is absent", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const e = elector(api, clock);
    expect(await e.tryAcquireOrRenew()).toBe(true);
    expect(api.calls).toEqual(["read", "create"]);
    expect(api.lease?.spec).toMatchObject({
      holderIdentity: "me",
      leaseDurationSeconds: 15,
      leaseTransitions: 0,
    });
    expect(Date.parse(String(api.lease?.spec?.renewTime))).toBe(clock.now());
    // MicroTime: the apiserver wants microseconds.
    expect(String(api.lease?.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    expect(e.isLeader()).toBe(true);
  });

  it("respects a live Lease held by someone else", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    api.put({ holderIdentity: "other", leaseDurationSeconds: 15, renewTime: new Date(clock.now() - 14_000) });
    const e = elector(api, clock);
    expect(await e.tryAcquireOrRenew()).toBe(false);
    expect(api.calls).toEqual(["read"]);
    expect(api.lease?.spec?.holderIdentity).toBe("other");
    expect(e.isLeader()).toBe(false);
  });

  it("takes over an expired Lease, counting the transition", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    api.put({
      holderIdentity: "other",
      leaseDurationSeconds: 15,
      renewTime: new Date(clock.now() - 15_001),
      leaseTransitions: 3,
    });
    const e = elector(api, clock);
    expect(await e.tryAcquireOrRenew()).toBe(true);
    expect(api.lease?.spec).toMatchObject({ holderIdentity: "me", leaseTransitions: 4 });
    expect(Date.parse(String(api.lease?.spec?.acquireTime))).toBe(clock.now());
  });

  it("acquires a released Lease (empty holder) at once", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    api.put({ holderIdentity: "", leaseDurationSeconds: 1, renewTime: new Date(clock.now()) });
    expect(await elector(api, clock).tryAcquireOrRenew()).toBe(true);
    expect(api.lease?.spec?.holderIdentity).toBe("me");
  });

  it("loses a takeover race with 409 when the Lease changed after it was read", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    api.put({ holderIdentity: "old", leaseDurationSeconds: 15, renewTime: new Date(clock.now() - 60_000) });
    api.beforeReplace = () => {
      api.beforeReplace = undefined;
      api.put({ holderIdentity: "rival", leaseDurationSeconds: 15, renewTime: new Date(clock.now()) });
    };
    const e = elector(api, clock);
    expect(await e.tryAcquireOrRenew()).toBe(false);
    expect(api.lease?.spec?.holderIdentity).toBe("rival");
    expect(e.isLeader()).toBe(false);
    // Next round it sees the rival's live Lease and backs off.
    expect(await e.tryAcquireOrRenew()).toBe(false);
    expect(api.lease?.spec?.holderIdentity).toBe("rival");
  });

  it("loses a creation race with 409", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const original = api.createNamespacedLease.bind(api);
    api.createNamespacedLease = async (param) => {
      api.put({ holderIdentity: "rival", leaseDurationSeconds: 15, renewTime: new Date(clock.now()) });
      return original(param);
    };
    expect(await elector(api, clock).tryAcquireOrRenew()).toBe(false);
    expect(api.lease?.spec?.holderIdentity).toBe("rival");
  });

  it("renews its own Lease, keeping acquireTime and transitions", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const e = elector(api, clock);
    await e.tryAcquireOrRenew();
    const acquired = api.lease?.spec?.acquireTime;
    await clock.advance(2_000);
    expect(await e.tryAcquireOrRenew()).toBe(true);
    expect(api.lease?.spec?.acquireTime).toBe(acquired);
    expect(api.lease?.spec?.leaseTransitions).toBe(0);
    expect(Date.parse(String(api.lease?.spec?.renewTime))).toBe(clock.now());
  });

  it("treats API errors as a failed attempt", async () => {
    const api = new FakeLeaseApi();
    api.failWith = 500;
    expect(await elector(api, new FakeClock()).tryAcquireOrRenew()).toBe(false);
  });
});

describe("LeaseElector.run", () => {
  it("leads at once when the Lease is free, and renews every retry period", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const e = elector(api, clock);
    const r = recorder();
    const done = e.run(r.callbacks);
    await settle();
    expect(r.events).toEqual(["leader:me", "started"]);
    const start = clock.now();
    await clock.advance(2_000);
    expect(Date.parse(String(api.lease?.spec?.renewTime))).toBe(start + 2_000);
    await clock.advance(60_000);
    expect(e.isLeader()).toBe(true);
    expect(Date.parse(String(api.lease?.spec?.renewTime))).toBe(start + 62_000);
    await e.stop();
    expect(await done).toBe("stopped");
  });

  it("waits while another holds a live Lease, and takes over once it expires", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    api.put({ holderIdentity: "other", leaseDurationSeconds: 15, renewTime: new Date(clock.now()) });
    const e = elector(api, clock);
    const r = recorder();
    void e.run(r.callbacks);
    await clock.advance(14_000);
    expect(r.events).toEqual(["leader:other"]);
    expect(e.isLeader()).toBe(false);
    await clock.advance(4_000);
    expect(r.events).toEqual(["leader:other", "leader:me", "started"]);
    expect(api.lease?.spec?.holderIdentity).toBe("me");
    await e.stop();
  });

  it("gives up leading after renewDeadline of failed renewals, before the Lease expires", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const e = elector(api, clock);
    const r = recorder();
    const done = e.run(r.callbacks);
    await settle();
    const lastRenew = clock.now();
    api.failWith = 503;
    await clock.advance(9_000);
    expect(e.isLeader()).toBe(true);
    expect(r.signal()?.aborted).toBe(false);
    await clock.advance(1_000);
    // renewDeadline (10 s) after the last successful renew: no longer leading.
    expect(e.isLeader()).toBe(false);
    await clock.advance(2_000);
    expect(await done).toBe("lost");
    expect(r.signal()?.aborted).toBe(true);
    expect(r.events.at(-1)).toBe("stopped");
    expect(clock.now() - lastRenew).toBeLessThan(15_000);
    // It does not campaign again.
    const calls = api.calls.length;
    api.failWith = undefined;
    await clock.advance(30_000);
    expect(api.calls.length).toBe(calls);
  });

  it("gives up when a renew request hangs past the deadline", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const e = elector(api, clock);
    const r = recorder();
    const done = e.run(r.callbacks);
    await settle();
    api.readNamespacedLease = () => new Promise(() => {});
    await clock.advance(10_000);
    expect(e.isLeader()).toBe(false);
    expect(await done).toBe("lost");
    expect(r.signal()?.aborted).toBe(true);
  });

  it("stops leading at once when it finds someone else holds the Lease", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const e = elector(api, clock);
    const r = recorder();
    const done = e.run(r.callbacks);
    await settle();
    api.put({ holderIdentity: "usurper", leaseDurationSeconds: 15, renewTime: new Date(clock.now()) });
    await clock.advance(2_000);
    expect(await done).toBe("lost");
    expect(r.events).toEqual(["leader:me", "started", "leader:usurper", "stopped"]);
    expect(api.lease?.spec?.holderIdentity).toBe("usurper");
  });

  it("reads as not leading as soon as the clock jumps past the deadline (a resumed process)", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const e = elector(api, clock);
    void e.run(recorder().callbacks);
    await settle();
    expect(e.isLeader()).toBe(true);
    // Move the clock without letting the loop run, as after SIGSTOP/SIGCONT.
    (clock as unknown as { time: number }).time += 30_000;
    expect(e.isLeader()).toBe(false);
  });

  it("releases the Lease on stop so a follower takes over at once", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const leader = elector(api, clock, { identity: "a" });
    const follower = elector(api, clock, { identity: "b" });
    const a = recorder();
    const b = recorder();
    const aDone = leader.run(a.callbacks);
    await settle();
    void follower.run(b.callbacks);
    await clock.advance(4_000);
    expect(b.events).toEqual(["leader:a"]);
    await leader.stop();
    expect(await aDone).toBe("stopped");
    expect(a.events.at(-1)).toBe("stopped");
    expect(api.lease?.spec?.holderIdentity).toBe("");
    expect(leader.isLeader()).toBe(false);
    // Within one retry period, not a lease duration.
    await clock.advance(2_000);
    expect(b.events).toEqual(["leader:a", "leader:", "leader:b", "started"]);
    expect(api.lease?.spec?.holderIdentity).toBe("b");
    await follower.stop();
  });

  it("stop while campaigning resolves without leading or touching the Lease", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    api.put({ holderIdentity: "other", leaseDurationSeconds: 15, renewTime: new Date(clock.now()) });
    const e = elector(api, clock);
    const r = recorder();
    const done = e.run(r.callbacks);
    await clock.advance(3_000);
    await e.stop();
    expect(await done).toBe("stopped");
    expect(r.events).toEqual(["leader:other"]);
    expect(api.lease?.spec?.holderIdentity).toBe("other");
  });

  it("only one of two candidates leads", async () => {
    const api = new FakeLeaseApi();
    const clock = new FakeClock();
    const a = elector(api, clock, { identity: "a" });
    const b = elector(api, clock, { identity: "b" });
    void a.run(recorder().callbacks);
    void b.run(recorder().callbacks);
    for (let i = 0; i < 20; i++) {
      await clock.advance(1_000);
      expect(Number(a.isLeader()) + Number(b.isLeader())).toBe(1);
    }
    await a.stop();
    await b.stop();
  });
});

describe("validateTimings", () => {
  it("requires leaseDuration > renewDeadline > retryPeriod", () => {
    expect(() =>
      validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).not.toThrow();
    expect(() =>
      validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    ).toThrow(/lease duration/);
    expect(() =>
      validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
    ).toThrow(/renew deadline/);
  });
});
