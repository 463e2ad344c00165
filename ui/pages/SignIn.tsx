import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { useWords, type Locale } from '../i18n';
import type { SignedIn } from '../session';

/**
 * The personal API token is exchanged for a session cookie the page cannot read; the token
 * itself is not kept anywhere by the browser (no storage, autocomplete off).
 */
export function SignInPage({ onSignedIn, onLanguage }: { onSignedIn: (s: SignedIn) => void; onLanguage: (l: Locale) => void }) {
  const { t } = useWords();
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
        throw new Error(t('ui.signIn.cookieRefused'));
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
          <p class="language-row">
            <LanguageSwitch onChange={onLanguage} />
          </p>
          <h1>{t('ui.signIn.title')}</h1>
          <p>{t('ui.signIn.intro')}</p>
        </header>
        <form onSubmit={(e) => void submit(e)}>
          <label for="token">
            {t('ui.signIn.token')}
            <input id="token" name="token" type="password" autocomplete="off" required placeholder="glv_…" autofocus />
            <small>{t('ui.signIn.tokenHelp')}</small>
          </label>
          <ErrorNote error={error} />
          <button type="submit" aria-busy={busy} disabled={busy}>
            {t('ui.signIn.submit')}
          </button>
        </form>
      </article>
    </main>
  );
}
