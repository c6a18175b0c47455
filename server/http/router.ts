import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError, zodFieldErrors } from "../shared/errors.ts";

/** Every API router is made here, so that all of them report invalid input the same way. */
export function apiRouter() {
  return new OpenAPIHono({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) throw AppError.invalid(zodFieldErrors(result.error));
    },
  });
}
