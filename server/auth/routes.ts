import { createRoute, z } from "@hono/zod-openapi";
import { apiRouter } from "../http/router.ts";
import { jsonBody, jsonResponse, problemResponses } from "../http/schemas.ts";
import { isKnownDevice, rememberDevice } from "./known-device.ts";
import { type AuthDeps, changePassword, logIn, registerCustomer, type Session } from "./service.ts";

const email = z
  .string()
  .trim()
  .max(254, "must be at most 254 characters")
  .pipe(z.email("must be a valid email address"))
  .openapi({ example: "ada@example.com" });

/** Also the rules `bun run admin:create` and the admin's password form apply. */
export const newPassword = z
  .string()
  .min(8, "must be at least 8 characters")
  .max(200, "must be at most 200 characters")
  .openapi({ example: "correct horse battery" });

export const RegisterSchema = z
  .object({
    email,
    password: newPassword,
    name: z.string().trim().max(120, "must be at most 120 characters").optional().openapi({ example: "Ada" }),
  })
  .openapi("Register");

const LoginSchema = z
  .object({ email, password: z.string().min(1, "is required").max(200, "must be at most 200 characters") })
  .openapi("Login");

const ChangePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, "is required").max(200, "must be at most 200 characters"),
    newPassword,
  })
  .openapi("ChangePassword");

const SessionSchema = z
  .object({
    user: z.object({ id: z.number().int(), email: z.string(), name: z.string() }),
    token: z.string(),
  })
  .openapi("Session");

const register = createRoute({
  method: "post",
  path: "/register",
  operationId: "registerCustomer",
  // Public: no token needed.
  security: [],
  tags: ["Auth"],
  summary: "Create a customer account",
  request: { body: jsonBody(RegisterSchema) },
  responses: {
    201: jsonResponse(SessionSchema, "The account and a token"),
    ...problemResponses(400, 409, 415),
  },
});

const login = createRoute({
  method: "post",
  path: "/login",
  operationId: "signIn",
  // Public: no token needed.
  security: [],
  tags: ["Auth"],
  summary: "Sign in and receive a token",
  request: { body: jsonBody(LoginSchema) },
  responses: { 200: jsonResponse(SessionSchema, "A token"), ...problemResponses(400, 401, 415, 429) },
});

const password = createRoute({
  method: "post",
  path: "/password",
  operationId: "changePassword",
  tags: ["Auth"],
  summary: "Change your password; every other token of yours stops working",
  security: [{ bearerAuth: [] }],
  request: { body: jsonBody(ChangePasswordSchema) },
  responses: {
    200: jsonResponse(SessionSchema, "A new token; every token issued before is refused from now on"),
    ...problemResponses(400, 401, 415, 429),
  },
});

const presentSession = ({ user, token }: Session) => ({
  user: { id: user.id, email: user.email, name: user.name },
  token,
});

/** `/password` expects the app to put requireUser in front of it. */
export function authRoutes(deps: AuthDeps) {
  return apiRouter()
    .openapi(register, async (c) =>
      c.json(presentSession(await registerCustomer(deps, c.req.valid("json"), c.var.clientIp)), 201),
    )
    .openapi(login, async (c) => {
      const input = c.req.valid("json");
      const session = await logIn(deps, input, c.var.clientIp, isKnownDevice(c, deps.config, input.email));
      rememberDevice(c, deps.config, input.email);
      return c.json(presentSession(session), 200);
    })
    .openapi(password, async (c) =>
      c.json(
        presentSession(
          await changePassword(deps, c.var.user, c.req.valid("json"), {
            clientIp: c.var.clientIp,
            knownDevice: isKnownDevice(c, deps.config, c.var.user.email),
          }),
        ),
        200,
      ),
    );
}
