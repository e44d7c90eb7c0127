import { text } from '../components/form-data';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { describe, type Shown } from '../api/problem';
import { Field, Notice, ProblemAlert } from '../components/ui';
import { useSession } from '../session';

function useAuthForm(kind: 'login' | 'register') {
  const session = useSession();
  const [problem, setProblem] = useState<Shown | undefined>();
  const [busy, setBusy] = useState(false);
  const [local, setLocal] = useState<Record<string, string>>({});

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = text(form, 'email').trim();
    const password = text(form, 'password');
    const errors: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) errors.email = 'Enter an email address such as ada@example.com.';
    if (password === '') errors.password = 'Enter your password.';
    else if (kind === 'register' && password.length < 12) errors.password = 'Use at least 12 characters.';
    setLocal(errors);
    setProblem(undefined);
    if (Object.keys(errors).length > 0) return;
    setBusy(true);
    const result =
      kind === 'login'
        ? await api
            .POST('/v1/auth/login', { body: { email, password } })
            .catch((error: unknown) => ({ error, data: undefined, response: undefined }))
        : await api
            .POST('/v1/auth/register', { body: { email, password } })
            .catch((error: unknown) => ({ error, data: undefined, response: undefined }));
    setBusy(false);
    if (result.data !== undefined) {
      session.signedIn(result.data);
      return;
    }
    setProblem(describe(result.error, result.response?.status));
  }
  const fields = problem?.fields ?? {};
  return {
    submit,
    busy,
    problem,
    emailError: local.email ?? fields.email,
    passwordError: local.password ?? fields.password,
    notice: session.notice,
  };
}

export function LoginPage() {
  const form = useAuthForm('login');
  return (
    <div className="auth">
      <h1>Log in</h1>
      <p className="lead">Your USD, EUR and ETH in one wallet.</p>
      {form.notice === undefined ? null : <Notice tone="warning">{form.notice}</Notice>}
      <form className="card stack" onSubmit={(event) => void form.submit(event)} noValidate>
        <ProblemAlert shown={form.problem} />
        <Field label="Email" name="email" type="email" autoComplete="username" required error={form.emailError} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          error={form.passwordError}
        />
        <button className="button" type="submit" disabled={form.busy}>
          {form.busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
      <p className="center">
        New here? <Link to="/register">Create an account</Link>
      </p>
    </div>
  );
}

export function RegisterPage() {
  const form = useAuthForm('register');
  return (
    <div className="auth">
      <h1>Create an account</h1>
      <p className="lead">It takes a minute. You can verify your identity afterwards.</p>
      <form className="card stack" onSubmit={(event) => void form.submit(event)} noValidate>
        <ProblemAlert shown={form.problem} />
        <Field label="Email" name="email" type="email" autoComplete="email" required error={form.emailError} />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          hint="12 to 256 characters; not a common password."
          error={form.passwordError}
        />
        <button className="button" type="submit" disabled={form.busy}>
          {form.busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <p className="center">
        Already registered? <Link to="/login">Log in</Link>
      </p>
    </div>
  );
}
