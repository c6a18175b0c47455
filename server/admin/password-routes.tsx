import { Hono } from "hono";
import { z } from "zod";
import { isKnownDevice } from "../auth/known-device.ts";
import { newPassword } from "../auth/routes.ts";
import { changePassword } from "../auth/service.ts";
import { AppError, type FieldErrors, zodFieldErrors } from "../shared/errors.ts";
import { type AdminDeps, type AdminEnv, page, redirectWithNotice } from "./page.tsx";
import { PasswordForm } from "./password-views.tsx";

const passwordForm = z
  .object({
    currentPassword: z.string().min(1, "is required"),
    newPassword,
    confirmPassword: z.string(),
  })
  .refine((form) => form.newPassword === form.confirmPassword, {
    path: ["confirmPassword"],
    message: "does not match the new password",
  });

/** `/admin/password`: the signed-in admin's new password, which ends every other session and token of theirs. */
export function passwordPages(deps: AdminDeps) {
  const pages = new Hono<AdminEnv>({ strict: false });
  const form = (c: Parameters<typeof page>[0], errors: FieldErrors = {}) =>
    page(
      c,
      "Change password",
      <PasswordForm errors={errors} csrfToken={c.var.admin.csrfToken} />,
      Object.keys(errors).length > 0 ? 400 : 200,
    );

  pages.get("/password", (c) => form(c));

  pages.post("/password", async (c) => {
    const body = await c.req.parseBody();
    const parsed = passwordForm.safeParse({
      currentPassword: String(body.currentPassword ?? ""),
      newPassword: String(body.newPassword ?? ""),
      confirmPassword: String(body.confirmPassword ?? ""),
    });
    if (!parsed.success) return form(c, zodFieldErrors(parsed.error));
    const { admin } = c.var;
    try {
      const from = {
        clientIp: c.get("clientIp"),
        knownDevice: isKnownDevice(c, deps.config, admin.user.email),
      };
      await changePassword(deps, admin.user, parsed.data, from, admin.tokenHash);
    } catch (error) {
      if (error instanceof AppError && error.details.fields) return form(c, error.details.fields);
      throw error;
    }
    return redirectWithNotice(c, deps.config, "/admin", "password-changed");
  });

  return pages;
}
