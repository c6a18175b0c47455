import { fileURLToPath } from "node:url";

const committed = (dialect: "mysql" | "sqlite") =>
  fileURLToPath(new URL(`./migrations/${dialect}`, import.meta.url));

/**
 * Applies the committed drizzle-kit migrations of the URL's dialect (or those of `migrationsFolder`, which the
 * migration tests use to make a database of an earlier version).
 */
export async function migrateDatabase(databaseUrl: string, migrationsFolder?: string): Promise<void> {
  if (databaseUrl.startsWith("mysql://")) {
    const { createConnection } = await import("mysql2/promise");
    const { drizzle } = await import("drizzle-orm/mysql2");
    const { migrate } = await import("drizzle-orm/mysql2/migrator");
    const { mysqlHostUrls } = await import("./database-hosts.ts");
    const { firstServingNode } = await import("./failover-pool.ts");
    // On a cluster, through the first node that serves: the schema change reaches the others with it.
    const hostUrl = await firstServingNode(mysqlHostUrls(databaseUrl));
    const connection = await createConnection({ uri: hostUrl, timezone: "Z", multipleStatements: false });
    try {
      // Several servers may start at once; a named lock lets one of them migrate at a time.
      await connection.query("SELECT GET_LOCK('app_migrations', 60)");
      await migrate(drizzle(connection), { migrationsFolder: migrationsFolder ?? committed("mysql") });
    } finally {
      await connection.query("SELECT RELEASE_LOCK('app_migrations')").catch(() => undefined);
      await connection.end();
    }
    return;
  }
  const { mkdirSync } = await import("node:fs");
  const { dirname } = await import("node:path");
  const { Database } = await import("bun:sqlite");
  const { drizzle } = await import("drizzle-orm/bun-sqlite");
  const { migrate } = await import("drizzle-orm/bun-sqlite/migrator");
  const path = databaseUrl.slice("file:".length);
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path, { create: true });
  try {
    migrate(drizzle(sqlite), { migrationsFolder: migrationsFolder ?? committed("sqlite") });
  } finally {
    sqlite.close();
  }
}
