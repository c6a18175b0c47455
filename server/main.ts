import { loadConfigOrExit } from "./config.ts";
import { startBunServer } from "./server.bun.ts";
import { stopOnSignals } from "./start.ts";

const config = loadConfigOrExit();
const running = await startBunServer(config);
stopOnSignals(running.stop);
console.log(
  JSON.stringify({ time: new Date().toISOString(), level: "info", msg: `listening on ${running.url}` }),
);
