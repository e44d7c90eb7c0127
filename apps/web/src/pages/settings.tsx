import { text } from '../components/form-data';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { describe, type Shown } from '../api/problem';
import { Card, Field, Notice, ProblemAlert } from '../components/ui';
import { useSession } from '../session';

type Outcome = { readonly problem?: Shown; readonly done?: string };

function useForm(run: (data: FormData) => Promise<Outcome>) {
  const [outcome, setOutcome] = useState<Outcome>({});
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    setOutcome({});
    const next: Outcome = await run(new FormData(form)).catch((error: unknown) => ({ problem: describe(error) }));
    setBusy(false);
    setOutcome(next);
    if (next.done !== undefined) form.reset();
  }
  return { submit, busy, outcome, field: (key: string) => outcome.problem?.fields[key] };
}

function local(fields: Record<string, string>): Outcome {
  return { problem: { code: 'invalid_request', status: 400, message: 'Check the marked fields.', fields, extra: {} } };
}

export function SettingsPage() {
  return (
    <div className="stack narrow">
      <h1>Settings</h1>
      <ChangeEmail />
      <ChangePassword />
      <DeleteAccount />
    </div>
  );
}

function Section({ title, children }: { readonly title: string; readonly children: ReactNode }) {
  return <Card title={title}>{children}</Card>;
}

function ChangeEmail() {
  const session = useSession();
  const queryClient = useQueryClient();
  const form = useForm(async (data) => {
    const email = text(data, 'email').trim();
    const password = text(data, 'password');
    const errors: Record<string, string> = {};
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) errors.email = 'Enter an email address such as ada@example.com.';
    if (password === '') errors.password = 'Enter your current password.';
    if (Object.keys(errors).length > 0) return local(errors);
    const result = await api.PUT('/v1/me/email', { body: { email, password } });
    if (result.data === undefined) return { problem: describe(result.error, result.response.status) };
    session.updateUser(result.data.user);
    await queryClient.invalidateQueries({ queryKey: ['me'] });
    return { done: `Your email address is now ${result.data.user.email}. Other sessions were signed out.` };
  });
  return (
    <Section title="Change email">
      <form className="stack" onSubmit={(event) => void form.submit(event)} noValidate aria-label="Change email">
        <p className="muted small">Current: {session.user?.email}</p>
        <ProblemAlert shown={form.outcome.problem} />
        {form.outcome.done === undefined ? null : <Notice tone="success">{form.outcome.done}</Notice>}
        <Field label="New email" name="email" type="email" autoComplete="email" error={form.field('email')} />
        <Field
          label="Current password"
          name="password"
          type="password"
          autoComplete="current-password"
          error={form.field('password')}
        />
        <button className="button" type="submit" disabled={form.busy}>
          Change email
        </button>
      </form>
    </Section>
  );
}

function ChangePassword() {
  const form = useForm(async (data) => {
    const currentPassword = text(data, 'currentPassword');
    const newPassword = text(data, 'newPassword');
    const errors: Record<string, string> = {};
    if (currentPassword === '') errors.currentPassword = 'Enter your current password.';
    if (newPassword.length < 12) errors.newPassword = 'Use at least 12 characters.';
    if (Object.keys(errors).length > 0) return local(errors);
    const result = await api.PUT('/v1/me/password', { body: { currentPassword, newPassword } });
    if (result.data === undefined) return { problem: describe(result.error, result.response.status) };
    return { done: 'Your password is changed. Other sessions were signed out.' };
  });
  return (
    <Section title="Change password">
      <form className="stack" onSubmit={(event) => void form.submit(event)} noValidate aria-label="Change password">
        <ProblemAlert shown={form.outcome.problem} />
        {form.outcome.done === undefined ? null : <Notice tone="success">{form.outcome.done}</Notice>}
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          autoComplete="current-password"
          error={form.field('currentPassword')}
        />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          autoComplete="new-password"
          hint="12 to 256 characters; not a common password."
          error={form.field('newPassword')}
        />
        <button className="button" type="submit" disabled={form.busy}>
          Change password
        </button>
      </form>
    </Section>
  );
}

function DeleteAccount() {
  const session = useSession();
  const form = useForm(async (data) => {
    const password = text(data, 'password');
    if (password === '') return local({ password: 'Enter your password to confirm.' });
    const result = await api.DELETE('/v1/me', { body: { password } });
    if (result.response.status === 204) {
      session.ended('Your account is deleted.');
      return { done: 'Your account is deleted.' };
    }
    return { problem: describe(result.error, result.response.status) };
  });
  const notZero = form.outcome.problem?.code === 'balance_not_zero';
  return (
    <Section title="Delete account">
      <form className="stack" onSubmit={(event) => void form.submit(event)} noValidate aria-label="Delete account">
        <p>Deleting your account signs you out everywhere. It cannot be undone.</p>
        <ProblemAlert shown={form.outcome.problem}>
          {notZero ? (
            <p>
              An account can only be deleted when it holds no money. Send what is left to another user from the{' '}
              <Link to="/send">Send</Link> page (see your <Link to="/">balances</Link>), wait for pending transfers to
              finish, then delete again.
            </p>
          ) : null}
        </ProblemAlert>
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          error={form.field('password')}
        />
        <button className="button button-danger" type="submit" disabled={form.busy}>
          Delete my account
        </button>
      </form>
    </Section>
  );
}
