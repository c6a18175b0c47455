import { openStore } from "../../db/open-store.ts";
import { loadConfigOrExit } from "../config.ts";
import { CrmSync } from "./sync.ts";

/** `bun run crm:sync`: one pass over every paid order whose CRM sync is due (by hand or from a systemd timer). */
const config = loadConfigOrExit();
const store = await openStore(config.DATABASE_URL);
const log = (fields: Record<string, unknown>) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
try {
  const attempted = await new CrmSync(config, store, log).runPass();
  log({ level: "info", msg: "crm sync pass finished", attempted });
} finally {
  await store.close();
}
