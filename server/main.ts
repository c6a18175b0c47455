import { loadConfigOrExit } from "./config.ts";
import { startBunServer, stopOnSignals } from "./server.bun.ts";

const config = loadConfigOrExit();
const running = await startBunServer(config);
stopOnSignals(running);
console.log(
  JSON.stringify({ time: new Date().toISOString(), level: "info", msg: `listening on ${running.url}` }),
);
