import type { Config } from "../config.ts";

/** Where finished log lines go. */
export type LogSink = (line: string) => void;
/** Logs one event: its fields become one JSON line. */
export type Log = (fields: Record<string, unknown>) => void;

/** The sink LOG_LEVEL asks for: standard output, or none (silent). */
export function sinkFor(config: Pick<Config, "LOG_LEVEL">): LogSink | undefined {
  return config.LOG_LEVEL === "silent" ? undefined : (line) => console.log(line);
}

/** The one shape of a log line: a JSON object with the time first, then the event's fields; none made without a sink. */
export function jsonLog(sink: LogSink | undefined): Log {
  if (!sink) return () => {};
  return (fields) => sink(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}
