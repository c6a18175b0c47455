import type { ZodError } from "zod";

export type FieldErrors = Record<string, string[]>;

/**
 * What went wrong, in the application's words. Services and middleware name the kind; only the HTTP layer
 * (`server/http/problem.ts`) knows which status and problem type each kind becomes.
 */
export type ErrorKind =
  | "invalid-input"
  | "invalid-signature"
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "too-large"
  | "rate-limited"
  | "not-configured"
  | "provider-unavailable"
  | "provider-failed";

const FAILURES = new Set<ErrorKind>(["not-configured", "provider-unavailable", "provider-failed"]);

export interface ErrorDetails {
  /** Which input fields are wrong and why (invalid-input). */
  fields?: FieldErrors;
  /** Extra members of the answer, such as the payment status a conflict was about. */
  extensions?: Record<string, unknown>;
  /** When trying again may work (rate-limited, provider-unavailable). */
  retryAfterSeconds?: number;
}

/** The one error type of the application. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly detail: string,
    readonly details: ErrorDetails = {},
  ) {
    super(detail);
    this.name = "AppError";
  }

  /** A refusal of this request (bad input, wrong state), not a failure of the server or a provider to do it. */
  get isRefusal(): boolean {
    return !FAILURES.has(this.kind);
  }

  static invalid(fields: FieldErrors, detail = "The request has invalid fields.") {
    return new AppError("invalid-input", detail, { fields });
  }

  static notFound(detail = "The resource was not found.") {
    return new AppError("not-found", detail);
  }

  static unauthenticated(detail = "Authentication is required.") {
    return new AppError("unauthenticated", detail);
  }

  static forbidden(detail: string) {
    return new AppError("forbidden", detail);
  }

  static conflict(detail: string, extensions?: Record<string, unknown>) {
    return new AppError("conflict", detail, { extensions });
  }
}

export function zodFieldErrors(error: ZodError): FieldErrors {
  const errors: FieldErrors = {};
  const add = (field: string, message: string) => {
    errors[field] ??= [];
    errors[field].push(message);
  };
  for (const issue of error.issues) {
    const prefix = issue.path.length > 0 ? `${issue.path.join(".")}.` : "";
    // A field the request may not send is named itself, not folded into its parent.
    if (issue.code === "unrecognized_keys")
      for (const key of issue.keys) add(`${prefix}${key}`, "is not accepted here");
    else add(issue.path.length > 0 ? issue.path.join(".") : "body", issue.message);
  }
  return errors;
}
