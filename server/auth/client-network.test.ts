import { describe, expect, test } from "bun:test";
import { clientNetwork } from "./client-network.ts";

describe("the network a client is counted by", () => {
  test("every address of one IPv6 /64 is one client, whatever its spelling", () => {
    const network = "2001:db8:1:2:0:0:0:0/64";
    for (const address of [
      "2001:db8:1:2::1",
      "2001:db8:1:2::e",
      "2001:0db8:0001:0002:ffff:ffff:ffff:ffff",
      "2001:db8:1:2:a:b:c:d%eth0",
    ])
      expect(clientNetwork(address, 64)).toBe(network);
    expect(clientNetwork("2001:db8:1:3::1", 64)).not.toBe(network);
  });

  test("the prefix is configurable, down to the bit", () => {
    expect(clientNetwork("2001:db8:1:2::1", 48)).toBe("2001:db8:1:0:0:0:0:0/48");
    expect(clientNetwork("2001:db8:1:2::1", 128)).toBe("2001:db8:1:2:0:0:0:1/128");
    expect(clientNetwork("2001:db8:1:2ff::1", 56)).toBe("2001:db8:1:200:0:0:0:0/56");
    expect(clientNetwork("::1", 64)).toBe("0:0:0:0:0:0:0:0/64");
    expect(clientNetwork("64:ff9b::192.0.2.33", 128)).toBe("64:ff9b:0:0:0:0:c000:221/128");
  });

  test("an IPv4 address, or anything that is no address, is counted as it is", () => {
    expect(clientNetwork("203.0.113.7", 64)).toBe("203.0.113.7");
    expect(clientNetwork("unknown", 64)).toBe("unknown");
  });
});
