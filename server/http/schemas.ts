import { z } from "@hono/zod-openapi";

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    request_id: z.string().optional(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .openapi("Problem");

export const MAX_PAGE_SIZE = 100;

export const PageQuerySchema = z.object({
  page: z
    .string()
    .regex(/^\d{1,9}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1, "must be 1 or more"))
    .optional()
    .openapi({ param: { name: "page", in: "query" }, example: 1, type: "integer" }),
  page_size: z
    .string()
    .regex(/^\d{1,9}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1, "must be 1 or more"))
    .optional()
    .openapi({ param: { name: "page_size", in: "query" }, example: 20, type: "integer" }),
});

export const IdParamSchema = z.object({
  id: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, "must be a positive whole number")
    .transform(Number)
    .openapi({ param: { name: "id", in: "path" }, example: 1, type: "integer" }),
});

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      count: z.number().int(),
      page: z.number().int(),
      page_size: z.number().int(),
      next: z.string().nullable(),
      previous: z.string().nullable(),
      results: z.array(item),
    })
    .openapi(name);
}

export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: DESCRIPTIONS[status] ?? "Error",
        content: { "application/problem+json": { schema: ProblemSchema } },
      },
    ]),
  );

const DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input",
  401: "Missing, invalid or expired token",
  404: "Not found",
  403: "Not allowed",
  409: "Conflict",
  415: "Unsupported media type",
  429: "Too many attempts",
  502: "Upstream failure",
  503: "Temporarily unavailable",
};

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
