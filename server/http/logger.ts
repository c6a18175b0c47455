import type { Config } from "../config.ts";
import { workerIndex } from "../runtime/workers.ts";

/** Where finished log lines go. */
export type LogSink = (line: string) => void;
/** Logs one event: its fields become one JSON line. */
export type Log = (fields: Record<string, unknown>) => void;

/** The sink LOG_LEVEL asks for: standard output, or none (silent). */
export function sinkFor(config: Pick<Config, "LOG_LEVEL">): LogSink | undefined {
  return config.LOG_LEVEL === "silent" ? undefined : (line) => console.log(line);
}

/** Which of several workers (WORKERS) this process is, named on each of its lines; none for a lone server. */
const WORKER = workerIndex();

/**
 * The one shape of a log line: a JSON object with the time first, the worker when there are several, then the
 * event's fields; none made without a sink.
 */
export function jsonLog(sink: LogSink | undefined): Log {
  if (!sink) return () => {};
  const worker = WORKER === undefined ? {} : { worker: WORKER };
  return (fields) => sink(JSON.stringify({ time: new Date().toISOString(), ...worker, ...fields }));
}
