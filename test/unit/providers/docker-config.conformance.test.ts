// The dockerConfig provider against the provider contract: the logins of an existing
// dockerconfigjson Secret.
import type { DockerConfigSource } from "../../../src/api/v1alpha1.js";
import { createDockerConfigProvider } from "../../../src/providers/docker-config/provider.js";
import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { FakeSourceAccess } from "../../fakes/kube/fake-source-access.js";

const dockerConfigJson = (auths: Record<string, { username: string; password: string }>) =>
  JSON.stringify({
    auths: Object.fromEntries(
      Object.entries(auths).map(([key, { username, password }]) => [
        key,
        { auth: Buffer.from(`${username}:${password}`).toString("base64") },
      ]),
    ),
  });

describeProviderConformance<DockerConfigSource>(
  "dockerConfig",
  async () => {
    let generation = 1;
    const secrets = () => ({
      hub: `dckr_pat_conformance_dockerconfig_${generation}_abcdef`,
      quay: `QUAYROBOTTOKEN${generation}ABCDEFGHIJKLMNOPQRSTUV`,
    });
    const first = secrets();
    const put = () =>
      access.putSecret("pull", {
        ".dockerconfigjson": dockerConfigJson({
          "https://index.docker.io/v1/": { username: "platform-bot", password: secrets().hub },
          "quay.io": { username: "org+puller", password: secrets().quay },
        }),
      });
    const access = new FakeSourceAccess("tenant-a", true).putSecret("pull-garbled", {
      ".dockerconfigjson": `{"auths": {"quay.io": {"auth": "${first.quay}"`,
    });
    put();
    return {
      provider: createDockerConfigProvider(),
      access,
      validSpec: { secretRef: { name: "pull" }, hosts: ["docker.io", "quay.io"] },
      secretName: "pull",
      garbledSecretSpec: { secretRef: { name: "pull-garbled" } },
      missingSecretSpec: { secretRef: { name: "absent" } },
      invalidSpecs: [
        ["a host given as a URL", { secretRef: { name: "pull" }, hosts: ["https://quay.io"] }],
        [
          "Docker Hub under both its names",
          { secretRef: { name: "pull" }, hosts: ["docker.io", "index.docker.io"] },
        ],
        ["an empty host list", { secretRef: { name: "pull" }, hosts: [] }],
        ["a Secret reference without a name", { secretRef: { name: "" } }],
      ],
      rotateSecret: () => {
        generation += 1;
        put();
      },
      secretValues: () => [...Object.values(first), ...Object.values(secrets())],
    };
  },
  { ambient: false, cloud: false },
);
