import { isIPv6 } from "node:net";

/**
 * The name under which the sign-in and registration limits count a client: an IPv4 address whole, an IPv6 address
 * by its network of `ipv6PrefixBits` (LIMITS_IPV6_PREFIX, 64 by default), because one subscriber holds a whole /64
 * and could otherwise take a fresh address for every guess.
 */
export function clientNetwork(address: string, ipv6PrefixBits: number): string {
  const plain = address.split("%")[0] ?? address;
  if (!isIPv6(plain)) return address;
  const groups = ipv6Groups(plain);
  const kept = groups.map((group, index) => {
    const bits = Math.min(16, Math.max(0, ipv6PrefixBits - index * 16));
    return bits === 16 ? group : group & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${kept.map((group) => group.toString(16)).join(":")}/${ipv6PrefixBits}`;
}

/** The eight 16-bit groups of a valid IPv6 address, with "::" filled in and a trailing IPv4 part as two groups. */
function ipv6Groups(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const parse = (part: string) =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}
