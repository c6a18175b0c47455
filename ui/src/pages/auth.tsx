/** @jsxImportSource preact */
import { useState } from "preact/hooks";
import { useLocation } from "preact-iso";
import { api, flash, type SignInReason, signIn } from "../api.ts";
import { ErrorNote, Field } from "../components/ui.tsx";
import { useAction } from "../resource.ts";

/**
 * Only same-site paths are followed after sign-in, never another origin: one "/" and then anything but "/" or "\"
 * (browsers read "//host" and "/\host" as another site).
 */
export function safeNext(next: string | undefined): string {
  return next !== undefined && /^\/(?![/\\])/.test(next) ? next : "/";
}

const REASONS: Record<SignInReason, string> = {
  buy: "Sign in to buy.",
  expired: "Your session ended, sign in again.",
  protected: "Sign in to see this page.",
};

export function AuthPage({ mode }: { mode: "signin" | "register" }) {
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const next = safeNext(location.query.next);
  const reason = REASONS[location.query.reason as SignInReason] as string | undefined;
  const register = mode === "register";

  const send = useAction(async () => {
    const result = register
      ? await api.register({ email, password, ...(name.trim() ? { name: name.trim() } : {}) })
      : await api.login({ email, password });
    signIn(result.token, result.user);
    if (register) {
      const greeting = result.user.name ? `Welcome, ${result.user.name}!` : "Welcome!";
      flash.value = { text: `${greeting} Your account is ready.`, url: next };
    }
    location.route(next, true);
  });
  const busy = send.busy.value;
  const error = send.failure.value?.detail ?? null;
  const fieldErrors = send.failure.value?.fieldErrors ?? {};
  const submit = (event: Event) => {
    event.preventDefault();
    send.run();
  };

  const other = register ? "/signin" : "/register";
  return (
    <section class="narrow">
      <h1>{register ? "Create your account" : "Sign in"}</h1>
      {reason && !register && (
        <p class="notice" role="status">
          {reason}
        </p>
      )}
      <form onSubmit={submit} noValidate aria-busy={busy}>
        {register && (
          <Field
            label="Name (optional)"
            name="name"
            value={name}
            onInput={setName}
            autoComplete="name"
            errors={fieldErrors.name}
          />
        )}
        <Field
          label="Email"
          name="email"
          type="email"
          value={email}
          onInput={setEmail}
          autoComplete="email"
          required
          errors={fieldErrors.email}
        >
          {register && send.failure.value?.status === 409 && (
            <a href={`/signin${next !== "/" ? `?${new URLSearchParams({ next })}` : ""}`}>
              Sign in with it instead
            </a>
          )}
        </Field>
        <Field
          label={register ? "Password (at least 8 characters)" : "Password"}
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          autoComplete={register ? "new-password" : "current-password"}
          required
          minLength={register ? 8 : undefined}
          errors={fieldErrors.password}
        />
        <ErrorNote message={Object.keys(fieldErrors).length > 0 ? null : error} />
        <button type="submit" disabled={busy}>
          {busy ? "Please wait…" : register ? "Create account" : "Sign in"}
        </button>
      </form>
      <p>
        {register ? "Already have an account? " : "New here? "}
        <a href={`${other}${next !== "/" ? `?${new URLSearchParams({ next })}` : ""}`}>
          {register ? "Sign in" : "Create an account"}
        </a>
      </p>
    </section>
  );
}
