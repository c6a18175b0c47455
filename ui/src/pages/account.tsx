/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, flash, session, signIn } from "../api.ts";
import { ErrorNote, Field } from "../components/ui.tsx";
import { useAction } from "../resource.ts";

/**
 * The signed-in customer's new password. The server ends every other token of theirs (other browsers, other
 * devices) and answers with a fresh one for this browser.
 */
export function AccountPage() {
  const location = useLocation();
  const [currentPassword, setCurrentPassword] = useState("");
  const [newPassword, setNewPassword] = useState("");
  const [confirmPassword, setConfirmPassword] = useState("");
  const [mismatch, setMismatch] = useState(false);

  const change = useAction(async () => {
    const result = await api.changePassword({ currentPassword, newPassword });
    signIn(result.token, result.user);
    flash.value = {
      text: "Password changed. You are signed out everywhere else.",
      url: "/account",
    };
    setCurrentPassword("");
    setNewPassword("");
    setConfirmPassword("");
    location.route("/account", true);
  });
  const busy = change.busy.value;
  const fieldErrors = change.failure.value?.fieldErrors ?? {};
  const error = Object.keys(fieldErrors).length > 0 ? null : (change.failure.value?.detail ?? null);
  const submit = (event: Event) => {
    event.preventDefault();
    const differ = newPassword !== confirmPassword;
    setMismatch(differ);
    if (!differ) change.run();
  };

  return (
    <section class="narrow">
      <h1>Your account</h1>
      <p>Signed in as {session.value?.user.email}.</p>
      <h2>Change password</h2>
      <form onSubmit={submit} noValidate aria-busy={busy}>
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          value={currentPassword}
          onInput={setCurrentPassword}
          autoComplete="current-password"
          required
          errors={fieldErrors.currentPassword}
        />
        <Field
          label="New password (at least 8 characters)"
          name="newPassword"
          type="password"
          value={newPassword}
          onInput={setNewPassword}
          autoComplete="new-password"
          required
          minLength={8}
          errors={fieldErrors.newPassword}
        />
        <Field
          label="New password again"
          name="confirmPassword"
          type="password"
          value={confirmPassword}
          onInput={setConfirmPassword}
          autoComplete="new-password"
          required
          errors={mismatch ? ["does not match the new password"] : undefined}
        />
        <p>Changing it signs out every other browser and device signed in to your account.</p>
        <ErrorNote message={error} />
        <button type="submit" disabled={busy}>
          {busy ? "Please wait…" : "Change password"}
        </button>
      </form>
    </section>
  );
}
