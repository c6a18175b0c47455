export type LogFields = Record<string, unknown>;

declare module "hono" {
  interface ContextVariableMap {
    requestId: string;
    clientIp: string;
    log: (fields: LogFields) => void;
  }
}
