// The address policy: which addresses a tenant-named host may make the operator connect to.
import { describe, expect, it } from "@jest/globals";
import { createAddressPolicy, RefusedAddressError } from "../../../src/util/address-policy.js";
import { nonPublic } from "./non-public-addresses.js";

describe("the address policy", () => {
  it.each(nonPublic)("refuses %s (%s) by default", async (_name, address) => {
    const policy = createAddressPolicy({
      resolve: async () => [{ address, family: address.includes(":") ? 6 : 4 }],
    });
    await expect(policy.admit("registry.example")).rejects.toThrow(
      new RefusedAddressError("registry.example", address),
    );
    await expect(policy.admit(address.includes(":") ? `[${address}]` : address)).rejects.toThrow(
      `${address} is a non-public address`,
    );
  });

  it.each(nonPublic)("admits %s (%s) when its network %s is allowed", async (_name, address, network) => {
    const family = address.includes(":") ? 6 : 4;
    const policy = createAddressPolicy({
      allowedNetworks: [network],
      resolve: async () => [{ address, family }],
    });
    await expect(policy.admit("registry.example")).resolves.toEqual([{ address, family }]);
  });

  it.each<[string, string]>([
    ["a public IPv4 address", "93.184.215.14"],
    ["a public IPv6 address", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
    ["an IPv4-mapped public address", "::ffff:93.184.215.14"],
    ["a NAT64 address carrying a public IPv4 address", "64:ff9b::5db8:d70e"],
    ["an address just outside 172.16/12", "172.32.0.1"],
    ["an address just outside CGNAT", "100.128.0.1"],
  ])("admits %s (%s)", async (_name, address) => {
    const family = address.includes(":") ? 6 : 4;
    const policy = createAddressPolicy({ resolve: async () => [{ address, family }] });
    await expect(policy.admit("registry.example")).resolves.toEqual([{ address, family }]);
  });

  it("refuses a name when any one of its addresses is non-public", async () => {
    const policy = createAddressPolicy({
      resolve: async () => [
        { address: "93.184.215.14", family: 4 },
        { address: "10.0.0.1", family: 4 },
      ],
    });
    await expect(policy.admit("registry.example")).rejects.toThrow(
      "registry.example resolves to 10.0.0.1, a non-public address",
    );
  });

  it("allows only the networks listed, not their neighbours", async () => {
    const policy = createAddressPolicy({ allowedNetworks: ["10.1.0.0/16", "fd00::/8"] });
    await expect(policy.admit("10.1.2.3")).resolves.toEqual([{ address: "10.1.2.3", family: 4 }]);
    await expect(policy.admit("10.2.0.1")).rejects.toThrow(RefusedAddressError);
    await expect(policy.admit("[fd00::1]")).resolves.toEqual([{ address: "fd00::1", family: 6 }]);
    await expect(policy.admit("[fd80::1]")).resolves.toEqual([{ address: "fd80::1", family: 6 }]);
    await expect(policy.admit("[fc00::1]")).rejects.toThrow(RefusedAddressError);
  });

  it("takes a single address as a network of one", async () => {
    const policy = createAddressPolicy({ allowedNetworks: ["127.0.0.1"] });
    await expect(policy.admit("127.0.0.1")).resolves.toHaveLength(1);
    await expect(policy.admit("127.0.0.2")).rejects.toThrow(RefusedAddressError);
  });

  it("passes on the resolver's failure, and refuses a name that resolves to nothing", async () => {
    const unresolved = Object.assign(new Error("getaddrinfo ENOTFOUND registry.example"), {
      code: "ENOTFOUND",
    });
    await expect(
      createAddressPolicy({ resolve: () => Promise.reject(unresolved) }).admit("registry.example"),
    ).rejects.toBe(unresolved);
    await expect(createAddressPolicy({ resolve: async () => [] }).admit("registry.example")).rejects.toThrow(
      "registry.example resolves to no address",
    );
  });

  it.each<[string, string]>([
    ["a host name", "registry.example"],
    ["a prefix longer than the family's", "10.0.0.0/33"],
    ["an IPv6 prefix longer than 128", "fd00::/129"],
    ["a prefix that is not a number", "10.0.0.0/x"],
    ["two prefixes", "10.0.0.0/8/8"],
    ["an empty entry", ""],
  ])("refuses to start with an allowed network that is %s", (_name, entry) => {
    expect(() => createAddressPolicy({ allowedNetworks: [entry] })).toThrow(
      `allowed network ${JSON.stringify(entry)} is not a CIDR`,
    );
  });
});
