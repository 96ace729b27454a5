// One address in each range the address policy refuses, for the policy's and the probe's tests.

/** One address in each non-public range, and the range's CIDR (what an operator would allow). */
export const nonPublic: [name: string, address: string, network: string][] = [
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
