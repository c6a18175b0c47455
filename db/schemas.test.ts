import { expect, test } from "bun:test";
import { MySqlTable, getTableConfig as mysqlTableConfig } from "drizzle-orm/mysql-core";
import { SQLiteTable, getTableConfig as sqliteTableConfig } from "drizzle-orm/sqlite-core";
import * as mysql from "./schema.mysql.ts";
import * as sqlite from "./schema.sqlite.ts";

/** Each table of a schema module: its columns (name, nullability, default) and its indexes and primary key. */
function shapeOf(module: Record<string, unknown>) {
  const tables: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(module)) {
    const config =
      value instanceof MySqlTable
        ? mysqlTableConfig(value)
        : value instanceof SQLiteTable
          ? sqliteTableConfig(value)
          : undefined;
    if (!config) continue;
    tables[`${name} (${config.name})`] = {
      columns: Object.fromEntries(
        config.columns.map((column) => [
          column.name,
          {
            notNull: column.notNull,
            primary: column.primary,
            hasDefault: column.hasDefault,
            default: typeof column.default === "boolean" ? Number(column.default) : column.default,
            values: column.enumValues ?? null,
          },
        ]),
      ),
      indexes: config.indexes
        .map((index) => ({
          name: index.config.name,
          unique: index.config.unique,
          columns: index.config.columns.map((column) => (column as { name: string }).name),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      primaryKeys: config.primaryKeys.map((key) => key.columns.map((column) => column.name)),
      foreignKeys: config.foreignKeys.map((key) => {
        const reference = key.reference();
        return {
          columns: reference.columns.map((column) => column.name),
          to: reference.foreignColumns.map((column) => column.name),
        };
      }),
    };
  }
  return tables;
}

test("the MySQL and the SQLite schemas have the same tables, columns, defaults, enums, keys and indexes", () => {
  const [ofMysql, ofSqlite] = [shapeOf(mysql), shapeOf(sqlite)];
  expect(Object.keys(ofMysql).length).toBeGreaterThanOrEqual(10);
  expect(ofSqlite).toEqual(ofMysql);
});
