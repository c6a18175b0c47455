import { loadConfigOrExit } from "./config.ts";
import { jsonLog, sinkFor } from "./http/logger.ts";
import { startBunServer } from "./server.bun.ts";
import { stopOnSignals } from "./start.ts";

const config = loadConfigOrExit();
const running = await startBunServer(config);
stopOnSignals(running.stop);
jsonLog(sinkFor(config))({ level: "info", msg: `listening on ${running.url}` });
