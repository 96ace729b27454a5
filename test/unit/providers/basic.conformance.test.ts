// The basic provider against the provider contract: static credentials read from a Secret.
import type { BasicSource } from "../../../src/api/v1alpha1.js";
import { createBasicProvider } from "../../../src/providers/basic/provider.js";
import { describeProviderConformance } from "../../conformance/provider-conformance.js";
import { FakeSourceAccess } from "../../fakes/kube/fake-source-access.js";

const spec = (name: string, extra: Partial<BasicSource> = {}): BasicSource => ({
  registries: ["docker.io", "harbor.example.com:8443"],
  secretRef: { name },
  ...extra,
});

describeProviderConformance<BasicSource>(
  "basic",
  async () => {
    let generation = 1;
    const password = () => `dckr_pat_conformance_${generation}_0123456789abcdef`;
    const access = new FakeSourceAccess("tenant-a", true)
      .putSecret("hub", { username: "platform-bot", password: password() })
      .putSecret("hub-garbled", { username: "platform-bot", password: "line one\nline two" });
    return {
      provider: createBasicProvider(),
      access,
      validSpec: spec("hub"),
      secretName: "hub",
      garbledSecretSpec: spec("hub-garbled"),
      missingSecretSpec: spec("absent"),
      invalidSpecs: [
        ["a registry given as a URL", spec("hub", { registries: ["https://index.docker.io/v1/"] })],
        ["a registry with a repository path", spec("hub", { registries: ["quay.io/team"] })],
        ["Docker Hub under both its names", spec("hub", { registries: ["docker.io", "index.docker.io"] })],
        ["a username with a colon", spec("hub", { username: "robot:x" })],
        [
          "a username and a username key at once",
          spec("hub", { username: "bot", secretRef: { name: "hub", usernameKey: "user" } }),
        ],
        [
          "the same key for username and password",
          spec("hub", { secretRef: { name: "hub", usernameKey: "k", passwordKey: "k" } }),
        ],
      ],
      rotateSecret: () => {
        generation += 1;
        access.putSecret("hub", { username: "platform-bot", password: password() });
      },
      secretValues: () => [password(), `dckr_pat_conformance_1_0123456789abcdef`],
    };
  },
  { ambient: false, cloud: false },
);
