import { openStore } from "../../db/open-store.ts";
import { loadConfigOrExit } from "../config.ts";
import { jsonLog, sinkFor } from "../http/logger.ts";
import { CrmSync } from "./sync.ts";

/** `bun run crm:sync`: one pass over every paid order whose CRM sync is due (by hand or from a systemd timer). */
const config = loadConfigOrExit();
const store = await openStore(config.DATABASE_URL);
const log = jsonLog(sinkFor(config));
try {
  const attempted = await new CrmSync(config, store, log).runPass();
  log({ level: "info", msg: "crm sync pass finished", attempted });
} finally {
  await store.close();
}
