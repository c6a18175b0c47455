/**
 * The hosts of a MySQL DATABASE_URL, which may name several nodes of a cluster the way other drivers write a
 * multi-host URL: `mysql://user:password@host1:3306,host2:3306,host3:3306/dbname?options`. Each comes back as
 * a URL of its own (same user, password, database and options), in the order given: the first is preferred.
 * Throws an Error whose message says what is wrong, in one line.
 */
export function mysqlHostUrls(databaseUrl: string): string[] {
  const match = /^mysql:\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/.exec(databaseUrl);
  if (!match)
    throw new Error("must be mysql://user:password@host:port/database (or host1:port,host2:port,...)");
  const [, userinfo, hostList = "", path = "", query = ""] = match;
  if (!path.slice(1)) throw new Error("names no database: mysql://user:password@host:port/database");
  const hosts = hostList.split(",");
  return hosts.map((host, index) => {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/.test(host))
      throw new Error(
        `host ${index + 1} of ${hosts.length} ("${host}") is not host or host:port; several hosts are separated by commas`,
      );
    const port = /:(\d+)$/.exec(host)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
      throw new Error(`host ${index + 1} of ${hosts.length} has port ${port}, outside 1-65535`);
    const url = `mysql://${userinfo === undefined ? "" : `${userinfo}@`}${host}${path}${query}`;
    if (!URL.canParse(url)) throw new Error(`host ${index + 1} of ${hosts.length} makes no valid URL`);
    return url;
  });
}

/** A DATABASE_URL for a log line: the password replaced, the hosts kept. */
export function redactedDatabaseUrl(databaseUrl: string): string {
  return databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** Where one host's URL points, for log lines: host:port. */
export function hostOf(hostUrl: string): string {
  const url = new URL(hostUrl);
  return `${url.hostname}:${url.port || "3306"}`;
}
