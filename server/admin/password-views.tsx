import type { FieldErrors } from "../shared/errors.ts";
import { FieldError } from "./views.tsx";

/** The admin's own new password: the current one, the new one twice. What was typed is never sent back. */
export function PasswordForm(props: { errors: FieldErrors; csrfToken: string }) {
  const { errors } = props;
  const invalid = (field: string) =>
    errors[field] ? { "aria-invalid": "true", "aria-describedby": `${field}-error` } : {};
  return (
    <form method="post" action="/admin/password">
      <input type="hidden" name="_csrf" value={props.csrfToken} />
      <label for="currentPassword">Current password</label>
      <input
        id="currentPassword"
        name="currentPassword"
        type="password"
        autocomplete="current-password"
        required
        {...invalid("currentPassword")}
      />
      <FieldError errors={errors.currentPassword} id="currentPassword" />
      <label for="newPassword">New password (at least 8 characters)</label>
      <input
        id="newPassword"
        name="newPassword"
        type="password"
        autocomplete="new-password"
        minlength={8}
        required
        {...invalid("newPassword")}
      />
      <FieldError errors={errors.newPassword} id="newPassword" />
      <label for="confirmPassword">New password again</label>
      <input
        id="confirmPassword"
        name="confirmPassword"
        type="password"
        autocomplete="new-password"
        required
        {...invalid("confirmPassword")}
      />
      <FieldError errors={errors.confirmPassword} id="confirmPassword" />
      <p>
        Changing it ends every other session of yours: other browsers signed in to the admin, and every API
        token.
      </p>
      <p>
        <button type="submit">Change password</button> <a href="/admin">Cancel</a>
      </p>
    </form>
  );
}
