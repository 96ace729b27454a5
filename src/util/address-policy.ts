// Which addresses a host named by a tenant may make the operator connect to (an SSRF guard): public
// ones, and non-public networks only where an operator-level policy allows them.
import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/** Every address a host name resolves to. */
export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

/** Thrown when a host is or resolves to an address the policy refuses; nothing was sent to it. */
export class RefusedAddressError extends Error {
  override name = "RefusedAddressError";

  constructor(
    /** The host as it was asked for (an IPv6 literal without brackets). */
    readonly hostname: string,
    readonly address: string,
  ) {
    super(
      hostname === address
        ? `${address} is a non-public address`
        : `${hostname} resolves to ${address}, a non-public address`,
    );
  }
}

/** Loopback, private, link-local, shared (CGNAT), special-purpose, documentation, multicast, reserved. */
const nonPublicIPv4: readonly [string, number][] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
  ["255.255.255.255", 32],
];

/**
 * Unspecified, loopback and the deprecated IPv4-compatible block (::/96), discard-only, local-use
 * NAT64, documentation, site-local, unique-local, link-local, multicast. IPv4-mapped
 * (::ffff:0:0/96) and well-known NAT64 (64:ff9b::/96) addresses are judged by the IPv4 address
 * they carry instead.
 */
const nonPublicIPv6: readonly [string, number][] = [
  ["::", 96],
  ["100::", 64],
  ["64:ff9b:1::", 48],
  ["2001:db8::", 32],
  ["fec0::", 10],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
];

/** The eight 16-bit groups of a valid IPv6 address (compressed, or with a dotted IPv4 tail). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, -dotted[0].length);
    if (text.endsWith(":") && !text.endsWith("::")) text = text.slice(0, -1);
  }
  const hextets = (part: string | undefined) =>
    part === undefined || part === "" ? [] : part.split(":").map((group) => Number.parseInt(group, 16));
  const [head, rest] = text.split("::");
  const left = hextets(head);
  const right = hextets(rest);
  const gap = rest === undefined ? 0 : 8 - left.length - right.length - tail.length;
  return [...left, ...new Array<number>(gap).fill(0), ...right, ...tail];
}

/** The IPv4 address an IPv4-mapped or well-known-prefix NAT64 IPv6 address carries, if it is one. */
function embeddedIPv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  const mapped = groups.slice(0, 6).every((group, index) => group === (index === 5 ? 0xffff : 0));
  const nat64 = [0x64, 0xff9b, 0, 0, 0, 0].every((group, index) => groups[index] === group);
  if (!mapped && !nat64) return undefined;
  const [high = 0, low = 0] = groups.slice(6);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
}

function blockList(ranges: readonly [string, number][], family: "ipv4" | "ipv6", into = new BlockList()) {
  for (const [network, prefix] of ranges) into.addSubnet(network, prefix, family);
  return into;
}

/**
 * The networks of `entries`: CIDRs such as 127.0.0.0/8 or fd00::/8, or single addresses. Throws
 * naming the first entry that is neither.
 */
function networks(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [network = "", prefixText, ...extra] = entry.trim().split("/");
    const family = isIP(network);
    const bits = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? bits : Number(prefixText);
    if (family === 0 || extra.length > 0 || !/^\d{1,3}$/.test(prefixText ?? "0") || prefix > bits)
      throw new Error(
        `allowed network ${JSON.stringify(entry)} is not a CIDR (e.g. 10.0.0.0/8, fd00::/8) or an IP address`,
      );
    list.addSubnet(network, prefix, family === 4 ? "ipv4" : "ipv6");
  }
  return list;
}

interface AddressPolicyOptions {
  /** Non-public networks that may be connected to anyway (CIDRs or addresses); default none. */
  allowedNetworks?: readonly string[];
  /** Default: node:dns lookup with all: true, in the resolver's order. */
  resolve?: ResolveAll;
}

export interface AddressPolicy {
  /**
   * The addresses `hostname` (a URL's hostname; an IPv6 literal may keep its brackets) may be
   * connected to: the literal address itself, or every address the name resolves to, when each
   * one is public or in an allowed network. Throws RefusedAddressError for the first that is
   * neither; rejects with the resolver's error when the name does not resolve, and with an Error
   * when it resolves to nothing.
   */
  admit(hostname: string): Promise<readonly LookupAddress[]>;
}

/** Throws when an allowed network is malformed (see networks). */
export function createAddressPolicy(options: AddressPolicyOptions = {}): AddressPolicy {
  const refused = blockList(nonPublicIPv6, "ipv6", blockList(nonPublicIPv4, "ipv4"));
  const allowed = networks(options.allowedNetworks ?? []);
  const resolve: ResolveAll = options.resolve ?? ((name) => lookup(name, { all: true, order: "verbatim" }));

  const admissible = (address: string): boolean => {
    const family = isIP(address);
    if (family === 4) return !refused.check(address, "ipv4") || allowed.check(address, "ipv4");
    if (family !== 6) return false;
    const carried = embeddedIPv4(address);
    if (carried !== undefined) return admissible(carried) || allowed.check(address, "ipv6");
    return !refused.check(address, "ipv6") || allowed.check(address, "ipv6");
  };

  return {
    async admit(hostname) {
      const bare = hostname.replace(/^\[(.*)\]$/, "$1");
      const literal = isIP(bare);
      const addresses: readonly LookupAddress[] =
        literal === 0 ? await resolve(bare) : [{ address: bare, family: literal }];
      if (addresses.length === 0) throw new Error(`${bare} resolves to no address`);
      for (const { address } of addresses) {
        // A zone index (fe80::1%eth0) names an interface, not an address.
        if (!admissible(address.replace(/%.*$/, ""))) throw new RefusedAddressError(bare, address);
      }
      return addresses;
    },
  };
}
