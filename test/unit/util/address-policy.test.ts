// The address policy: which addresses a tenant-named host may make the operator connect to.
import { describe, expect, it } from "@jest/globals";
import { createAddressPolicy, RefusedAddressError } from "../../../src/util/address-policy.js";

/** One address in each non-public range, and the range's CIDR (what an operator would allow). */
const nonPublic: [string, string, string][] = [
  ["this network", "0.1.2.3", "0.0.0.0/8"],
  ["a private network (10/8)", "10.20.30.40", "10.0.0.0/8"],
  ["shared address space (CGNAT)", "100.64.1.1", "100.64.0.0/10"],
  ["loopback", "127.0.0.1", "127.0.0.0/8"],
  ["loopback beyond 127.0.0.1", "127.255.0.9", "127.0.0.0/8"],
  ["link-local (the cloud metadata address)", "169.254.169.254", "169.254.0.0/16"],
  ["a private network (172.16/12)", "172.31.255.1", "172.16.0.0/12"],
  ["IETF protocol assignments", "192.0.0.8", "192.0.0.0/24"],
  ["a private network (192.168/16)", "192.168.1.1", "192.168.0.0/16"],
  ["benchmarking", "198.19.0.1", "198.18.0.0/15"],
  ["documentation (TEST-NET-1)", "192.0.2.10", "192.0.2.0/24"],
  ["multicast", "224.0.0.251", "224.0.0.0/4"],
  ["reserved", "240.0.0.1", "240.0.0.0/4"],
  ["broadcast", "255.255.255.255", "255.255.255.255/32"],
  ["the unspecified IPv6 address", "::", "::/128"],
  ["IPv6 loopback", "::1", "::1/128"],
  ["IPv6 unique-local", "fd12:3456::1", "fc00::/7"],
  ["IPv6 link-local", "fe80::1", "fe80::/10"],
  ["IPv6 multicast", "ff02::1", "ff00::/8"],
  ["IPv6 documentation", "2001:db8::5", "2001:db8::/32"],
  ["an IPv4-mapped loopback address", "::ffff:127.0.0.1", "127.0.0.0/8"],
  ["an IPv4-mapped private address in hex", "::ffff:a00:1", "10.0.0.0/8"],
  ["a NAT64 address carrying a private IPv4 address", "64:ff9b::a00:1", "10.0.0.0/8"],
  ["a NAT64 address carrying the metadata address", "64:ff9b::169.254.169.254", "169.254.0.0/16"],
];

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
