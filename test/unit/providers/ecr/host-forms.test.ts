// The host names of private ECR registries: derived from account, region and host form.
import { describe, expect, it } from "@jest/globals";
import type { EcrHostForm } from "../../../../src/api/v1alpha1.js";
import {
  accountOfRegistryHost,
  registryHost,
  registryHosts,
  unavailableForm,
} from "../../../../src/providers/ecr/host-forms.js";
import { isProviderHost } from "../../../../src/providers/registry.js";

const account = "123456789012";

describe("registryHost", () => {
  it.each<[string, string, EcrHostForm, string]>([
    ["a commercial region", "eu-west-1", "Standard", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
    [
      "Beijing, in the China partition",
      "cn-north-1",
      "Standard",
      "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn",
    ],
    [
      "Ningxia, in the China partition",
      "cn-northwest-1",
      "Standard",
      "123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn",
    ],
    ["GovCloud", "us-gov-west-1", "Standard", "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com"],
    ["an ISO region", "us-iso-east-1", "Standard", "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov"],
    ["an ISO-B region", "us-isob-east-1", "Standard", "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov"],
    ["FIPS in a US region", "us-east-2", "FIPS", "123456789012.dkr.ecr-fips.us-east-2.amazonaws.com"],
    ["FIPS in GovCloud", "us-gov-east-1", "FIPS", "123456789012.dkr.ecr-fips.us-gov-east-1.amazonaws.com"],
    [
      "dual-stack in a commercial region",
      "ap-southeast-2",
      "DualStack",
      "123456789012.dkr-ecr.ap-southeast-2.on.aws",
    ],
    [
      "dual-stack FIPS in a US region",
      "us-west-2",
      "DualStackFIPS",
      "123456789012.dkr-ecr-fips.us-west-2.on.aws",
    ],
  ])("names the %s host", (_name, region, form, host) => {
    expect(registryHost(account, region, form)).toBe(host);
  });

  it("lists every form of every account, account by account", () => {
    expect(registryHosts(["111111111111", "222222222222"], "us-east-1", ["Standard", "DualStack"])).toEqual([
      "111111111111.dkr.ecr.us-east-1.amazonaws.com",
      "111111111111.dkr-ecr.us-east-1.on.aws",
      "222222222222.dkr.ecr.us-east-1.amazonaws.com",
      "222222222222.dkr-ecr.us-east-1.on.aws",
    ]);
  });

  it("lists only the Standard form when no forms are given", () => {
    expect(registryHosts([account], "eu-west-1")).toEqual(["123456789012.dkr.ecr.eu-west-1.amazonaws.com"]);
  });
});

describe("unavailableForm", () => {
  it.each<[string, EcrHostForm, string]>([
    ["Standard anywhere", "Standard", "cn-north-1"],
    ["FIPS in us-east-1", "FIPS", "us-east-1"],
    ["FIPS in us-west-1", "FIPS", "us-west-1"],
    ["FIPS in GovCloud", "FIPS", "us-gov-west-1"],
    ["dual-stack in a commercial region", "DualStack", "eu-central-1"],
    ["dual-stack in GovCloud", "DualStack", "us-gov-west-1"],
    ["dual-stack FIPS in a US region", "DualStackFIPS", "us-east-1"],
  ])("accepts %s", (_name, form, region) => {
    expect(unavailableForm(form, region)).toBeUndefined();
  });

  it.each<[string, EcrHostForm, string, string]>([
    ["FIPS in Europe", "FIPS", "eu-west-1", "only in the US and GovCloud regions"],
    ["FIPS in Canada", "FIPS", "ca-central-1", "not in ca-central-1"],
    ["FIPS in China", "FIPS", "cn-north-1", "not in cn-north-1"],
    ["FIPS in an ISO region", "FIPS", "us-iso-east-1", "not in us-iso-east-1"],
    [
      "dual-stack in China",
      "DualStack",
      "cn-northwest-1",
      "no dual-stack registry endpoint in the aws-cn partition",
    ],
    ["dual-stack in an ISO region", "DualStack", "us-isob-east-1", "in the aws-iso-b partition"],
    ["dual-stack FIPS in Europe", "DualStackFIPS", "eu-west-1", "only in the US and GovCloud regions"],
  ])("refuses %s", (_name, form, region, expected) => {
    expect(unavailableForm(form, region)).toContain(expected);
  });
});

describe("accountOfRegistryHost and the audit's host patterns", () => {
  it.each([
    ["a standard host", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"],
    ["a China host", "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"],
    ["a FIPS host", "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"],
    ["a dual-stack host", "123456789012.dkr-ecr.eu-west-1.on.aws"],
    ["a dual-stack FIPS host", "123456789012.dkr-ecr-fips.us-east-1.on.aws"],
    ["an ISO host", "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov"],
  ])("reads the account of %s, which the audit knows as a registry", (_name, host) => {
    expect(accountOfRegistryHost(host)).toBe(account);
    expect(isProviderHost(host)).toBe(true);
  });

  it.each([
    ["a host with an 11-digit account", "12345678901.dkr.ecr.eu-west-1.amazonaws.com"],
    ["a host outside AWS", "registry.local:5000"],
    ["an ECR host under another domain", "123456789012.dkr.ecr.eu-west-1.amazonaws.com.example.com"],
    ["a dual-stack host under another domain", "123456789012.dkr-ecr.eu-west-1.on.aws.example.com"],
    ["the ECR API host", "api.ecr.eu-west-1.amazonaws.com"],
  ])("reads no account from %s, which the audit does not claim", (_name, host) => {
    expect(accountOfRegistryHost(host)).toBeUndefined();
    expect(isProviderHost(host)).toBe(false);
  });

  it("knows public.ecr.aws as a registry, and no look-alike", () => {
    expect(isProviderHost("public.ecr.aws")).toBe(true);
    expect(isProviderHost("public.ecr.aws.example.com")).toBe(false);
    expect(isProviderHost("evil-public.ecr.aws")).toBe(false);
  });
});
