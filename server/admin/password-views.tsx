import type { FieldErrors } from "../shared/errors.ts";
import { FieldError, invalidField } from "./views.tsx";

const FIELDS = [
  { name: "currentPassword", label: "Current password", autocomplete: "current-password" },
  {
    name: "newPassword",
    label: "New password (at least 8 characters)",
    autocomplete: "new-password",
    minlength: 8,
  },
  { name: "confirmPassword", label: "New password again", autocomplete: "new-password" },
] as const;

/** The admin's own new password: the current one, the new one twice. What was typed is never sent back. */
export function PasswordForm(props: { errors: FieldErrors; csrfToken: string }) {
  const { errors } = props;
  return (
    <form method="post" action="/admin/password">
      <input type="hidden" name="_csrf" value={props.csrfToken} />
      {FIELDS.map((field) => (
        <>
          <label for={field.name}>{field.label}</label>
          <input
            id={field.name}
            name={field.name}
            type="password"
            autocomplete={field.autocomplete}
            minlength={"minlength" in field ? field.minlength : undefined}
            required
            {...invalidField(errors, field.name)}
          />
          <FieldError errors={errors[field.name]} id={field.name} />
        </>
      ))}
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
