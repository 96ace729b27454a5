import { describe, expect, it } from "@jest/globals";
import type { V1ContainerState, V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { registryHostOf } from "../../../src/pulls/image-host.js";
import { pullFailuresOf } from "../../../src/pulls/pull-failure.js";

const ecr = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const refused = `failed to pull and unpack image "${ecr}/app:1": failed to resolve reference "${ecr}/app:1": unexpected status from HEAD request to https://${ecr}/v2/app/manifests/1: 401 Unauthorized`;
const notFound = `rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:nope": failed to resolve reference "docker.io/library/nginx:nope": docker.io/library/nginx:nope: not found`;

const waiting = (reason: string, message?: string): V1ContainerState => ({
  waiting: { reason, ...(message === undefined ? {} : { message }) },
});
const running: V1ContainerState = { running: { startedAt: new Date("2026-01-01T00:00:00Z") } };
const terminated: V1ContainerState = { terminated: { exitCode: 1, reason: "Error" } };

function containerStatus(name: string, image: string, state: V1ContainerState): V1ContainerStatus {
  return { name, image, imageID: "", ready: false, restartCount: 0, state };
}

/** A pod whose containers are given as [name, image, state] for each list. */
function pod(lists: {
  init?: [string, string, V1ContainerState][];
  containers?: [string, string, V1ContainerState][];
  ephemeral?: [string, string, V1ContainerState][];
}): V1Pod {
  const specOf = (list: [string, string, V1ContainerState][] = []) =>
    list.map(([name, image]) => ({ name, image }));
  const statusOf = (list: [string, string, V1ContainerState][] = []) =>
    list.map(([name, image, state]) => containerStatus(name, image, state));
  return {
    metadata: { name: "web", namespace: "app" },
    spec: {
      initContainers: specOf(lists.init),
      containers: specOf(lists.containers),
      ephemeralContainers: specOf(lists.ephemeral),
    },
    status: {
      initContainerStatuses: statusOf(lists.init),
      containerStatuses: statusOf(lists.containers),
      ephemeralContainerStatuses: statusOf(lists.ephemeral),
    },
  };
}

describe("pullFailuresOf", () => {
  it("reports init, regular and ephemeral containers failing to pull, in that order", () => {
    const failures = pullFailuresOf(
      pod({
        init: [["migrate", `${ecr}/migrate:1`, waiting("ErrImagePull", refused)]],
        containers: [
          [
            "app",
            `${ecr}/app:1`,
            waiting("ImagePullBackOff", `Back-off pulling image "x": ErrImagePull: ${refused}`),
          ],
          ["sidecar", "nginx:nope", waiting("ErrImagePull", notFound)],
        ],
        ephemeral: [
          [
            "debug",
            "localhost:5000/debug",
            waiting("ErrImagePull", "dial tcp 127.0.0.1:5000: connect: connection refused"),
          ],
        ],
      }),
    );
    expect(failures).toEqual([
      {
        container: "migrate",
        image: `${ecr}/migrate:1`,
        host: ecr,
        state: "ErrImagePull",
        message: refused,
        cause: "CredentialsRefused",
      },
      {
        container: "app",
        image: `${ecr}/app:1`,
        host: ecr,
        state: "ImagePullBackOff",
        message: `Back-off pulling image "x": ErrImagePull: ${refused}`,
        cause: "CredentialsRefused",
      },
      {
        container: "sidecar",
        image: "nginx:nope",
        host: "docker.io",
        state: "ErrImagePull",
        message: notFound,
        cause: "NotFound",
      },
      {
        container: "debug",
        image: "localhost:5000/debug",
        host: "localhost:5000",
        state: "ErrImagePull",
        message: "dial tcp 127.0.0.1:5000: connect: connection refused",
        cause: "Unreachable",
      },
    ]);
  });

  it.each<[string, V1ContainerState]>([
    ["a container crash-looping", waiting("CrashLoopBackOff", "back-off 5m0s restarting failed container")],
    ["a container being created", waiting("ContainerCreating")],
    [
      "a container with an invalid image name",
      waiting("InvalidImageName", "Failed to apply default image tag"),
    ],
    ["a running container", running],
    ["a terminated container", terminated],
  ])("reports nothing for %s", (_name, state) => {
    expect(
      pullFailuresOf(pod({ init: [["i", `${ecr}/i:1`, state]], containers: [["c", `${ecr}/c:1`, state]] })),
    ).toEqual([]);
  });

  it("reports nothing for a pod without status yet", () => {
    expect(
      pullFailuresOf({ metadata: { name: "new" }, spec: { containers: [{ name: "c", image: "nginx" }] } }),
    ).toEqual([]);
  });

  it("takes the image from the spec, and from the status when the spec lacks the container", () => {
    const failing = pod({ containers: [["app", `${ecr}/app:1`, waiting("ErrImagePull", refused)]] });
    const fromSpec = { ...failing, spec: { containers: [{ name: "app", image: `${ecr}/app:2` }] } };
    const fromStatus = { ...failing, spec: { containers: [] } };
    expect(pullFailuresOf(fromSpec).map((f) => f.image)).toEqual([`${ecr}/app:2`]);
    expect(pullFailuresOf(fromStatus).map((f) => f.image)).toEqual([`${ecr}/app:1`]);
  });

  it("trims the message to 512 characters but classifies all of it", () => {
    const long = `  ${"x".repeat(600)} 401 Unauthorized\n`;
    const [failure] = pullFailuresOf(
      pod({ containers: [["app", `${ecr}/app:1`, waiting("ErrImagePull", long)]] }),
    );
    expect(failure?.message).toHaveLength(512);
    expect(failure?.message.startsWith("xxx")).toBe(true);
    expect(failure?.cause).toBe("CredentialsRefused");
  });

  it("reports a failure without a message as Other with an empty message", () => {
    expect(pullFailuresOf(pod({ containers: [["app", "nginx", waiting("ErrImagePull")]] }))).toEqual([
      {
        container: "app",
        image: "nginx",
        host: "docker.io",
        state: "ErrImagePull",
        message: "",
        cause: "Other",
      },
    ]);
  });
});

describe("registryHostOf", () => {
  it.each([
    ["busybox", "docker.io"],
    ["busybox:1.36", "docker.io"],
    ["library/x", "docker.io"],
    ["docker.io/library/nginx:1", "docker.io"],
    ["localhost/x", "localhost"],
    ["localhost:5000/x", "localhost:5000"],
    [`${ecr}/a:b`, ecr],
    ["public.ecr.aws/team/web@sha256:0123", "public.ecr.aws"],
    ["Registry.Example.com/App", "registry.example.com"],
  ])("the host of %s is %s", (image, host) => {
    expect(registryHostOf(image)).toBe(host);
  });
});
