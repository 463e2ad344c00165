import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import type { SignedIn } from '../session';

/**
 * The personal API token is exchanged for a session cookie the page cannot read; the token
 * itself is not kept anywhere by the browser (no storage, autocomplete off).
 */
export function SignInPage({ onSignedIn }: { onSignedIn: (s: SignedIn) => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const token = String(new FormData(form).get('token') ?? '');
    setBusy(true);
    setError(undefined);
    try {
      await api<SignedIn>('POST', '/v1/session', { token });
      form.reset();
      // The cookie is Secure: a browser keeps it only over HTTPS (or on localhost). Ask again to know it did.
      const session = await api<SignedIn>('GET', '/v1/session').catch(() => {
        throw new Error('Your browser did not keep the session cookie: open the command center over HTTPS (or at http://localhost).');
      });
      onSignedIn(session);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="container narrow">
      <article>
        <header>
          <h1>golive command center</h1>
          <p>Sign in with your personal API token. Every action you take here is recorded under your name.</p>
        </header>
        <form onSubmit={(e) => void submit(e)}>
          <label for="token">
            Your API token
            <input id="token" name="token" type="password" autocomplete="off" required placeholder="glv_…" autofocus />
            <small>Your administrator gave it to you (npm run admin -- token issue); the demo prints one per person.</small>
          </label>
          <ErrorNote error={error} />
          <button type="submit" aria-busy={busy} disabled={busy}>
            Sign in
          </button>
        </form>
      </article>
    </main>
  );
}
