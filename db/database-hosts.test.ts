import { describe, expect, test } from "bun:test";
import { mysqlHostUrls, redactedDatabaseUrl } from "./database-hosts.ts";

describe("DATABASE_URL with several hosts", () => {
  test("gives each node its own URL with the same user, password, database and options, in order", () => {
    expect(mysqlHostUrls("mysql://orders:p%23ss@db1:3306,db2:3307,[::1]:3308,db4/shop?ssl=true")).toEqual([
      "mysql://orders:p%23ss@db1:3306/shop?ssl=true",
      "mysql://orders:p%23ss@db2:3307/shop?ssl=true",
      "mysql://orders:p%23ss@[::1]:3308/shop?ssl=true",
      "mysql://orders:p%23ss@db4/shop?ssl=true",
    ]);
  });

  test("one host is the URL as it was", () => {
    expect(mysqlHostUrls("mysql://root@127.0.0.1:3306/test")).toEqual(["mysql://root@127.0.0.1:3306/test"]);
  });

  test("what cannot be read is refused with what is wrong", () => {
    expect(() => mysqlHostUrls("mysql://u:p@a:1,b:2")).toThrow("names no database");
    expect(() => mysqlHostUrls("mysql://u:p@a:1, b:2/db")).toThrow(
      'host 2 of 2 (" b:2") is not host or host:port',
    );
    expect(() => mysqlHostUrls("mysql://u:p@a:0/db")).toThrow("port 0, outside 1-65535");
    expect(() => mysqlHostUrls("postgres://u@a/db")).toThrow("must be mysql://");
  });

  test("a log line shows the hosts but not the password", () => {
    expect(redactedDatabaseUrl("mysql://orders:secret@db1:3306,db2:3306/shop")).toBe(
      "mysql://orders:***@db1:3306,db2:3306/shop",
    );
  });
});
