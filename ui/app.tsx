import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Switch, useRoute } from 'wouter-preact';
import { api, ApiError, configureApi, setApiLanguage } from './api';
import { ErrorNote } from './components/ErrorNote';
import { LanguageSwitch } from './components/LanguageSwitch';
import { browserLocale, rememberLocale, useWords, WordsContext, type Locale } from './i18n';
import { AckPage } from './pages/Ack';
import { AuditPage } from './pages/Audit';
import { CheckPage } from './pages/Check';
import { EmergencyPage } from './pages/Emergency';
import { GatePage, GatesPage } from './pages/Gate';
import { IncidentPage, IncidentsPage } from './pages/Incidents';
import { MyTasksPage } from './pages/MyTasks';
import { NightPage } from './pages/Night';
import { OverviewPage } from './pages/Overview';
import { ParallelRunPage } from './pages/ParallelRun';
import { ProgramsPage } from './pages/Programs';
import { RunbookPage } from './pages/Runbook';
import { RunbookReportPage } from './pages/RunbookReport';
import { RunbooksPage } from './pages/Runbooks';
import { SignInPage } from './pages/SignIn';
import { SessionContext, type SignedIn } from './session';

export function App() {
  const [session, setSession] = useState<SignedIn | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [locale, setLocale] = useState<Locale>(browserLocale);
  const [checkLink, checkParams] = useRoute<{ token: string }>('/check/:token');

  const speak = (l: Locale) => {
    setApiLanguage(l);
    rememberLocale(l);
    setLocale(l);
  };
  const adopt = (s: SignedIn | null) => {
    configureApi({ csrfToken: s?.csrfToken ?? '', onSignedOut: () => setSession(null) });
    // The person's own language follows them from browser to browser.
    if (s?.person.locale) speak(s.person.locale);
    setSession(s);
  };
  /** Chosen on the page: kept on this browser, and as the person's own language once signed in. */
  const choose = (l: Locale) => {
    speak(l);
    if (session) void api('PUT', '/v1/me/locale', { locale: l }).catch(() => undefined);
  };

  useEffect(() => {
    speak(locale);
    api<SignedIn>('GET', '/v1/session')
      .then(adopt)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) adopt(null);
        else setError(err);
      });
  }, []);

  return (
    <WordsContext.Provider value={{ locale, timeZone: session?.timeZone ?? 'Asia/Shanghai' }}>
      {/* A check-off link's page needs no sign-in: the link is the credential (api/routes/check-links.ts). */}
      {checkLink ? <CheckPage token={checkParams.token} /> : <Frame session={session} error={error} adopt={adopt} choose={choose} />}
    </WordsContext.Provider>
  );
}

function Frame({
  session,
  error,
  adopt,
  choose,
}: {
  session: SignedIn | null | undefined;
  error: unknown;
  adopt: (s: SignedIn | null) => void;
  choose: (l: Locale) => void;
}) {
  const { t } = useWords();
  if (session === undefined) {
    return <main class="container">{error ? <ErrorNote error={error} /> : <p aria-busy="true">{t('ui.frame.checking')}</p>}</main>;
  }
  // Not signed in: the sign-in form in place, the address unchanged, so an e-mail's link opens its page right after.
  if (session === null) return <SignInPage onSignedIn={adopt} onLanguage={choose} />;

  const signOut = async () => {
    await api('DELETE', '/v1/session').catch(() => undefined);
    adopt(null);
  };
  const canAudit = session.person.roles.some((r) => r === 'admin' || r === 'lead' || r === 'leadership');
  return (
    <SessionContext.Provider value={session}>
      <header class="container-fluid topbar">
        <nav aria-label={t('ui.frame.nav.main')}>
          <ul>
            <li>
              <Link href="/" class="brand">
                golive
              </Link>
            </li>
            <li>
              <Link href="/">{t('ui.frame.nav.programs')}</Link>
            </li>
            <li>
              <Link href="/my-tasks">{t('ui.frame.nav.myTasks')}</Link>
            </li>
            <li>
              <Link href="/incidents">{t('ui.frame.nav.incidents')}</Link>
            </li>
            {canAudit ? (
              <li>
                <Link href="/audit">{t('ui.frame.nav.audit')}</Link>
              </li>
            ) : null}
          </ul>
          <ul>
            <li data-testid="signed-in-as">
              {session.person.displayName} <small>({session.person.roles.map((r) => t(`ui.role.${r}`)).join(t('list.separator'))})</small>
            </li>
            <li>
              <LanguageSwitch onChange={choose} />
            </li>
            <li>
              <button type="button" class="secondary outline" onClick={() => void signOut()}>
                {t('ui.frame.signOut')}
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <Switch>
        <Route path="/">{() => <ProgramsPage />}</Route>
        <Route path="/programs/:id">{(p) => <OverviewPage programId={p.id} />}</Route>
        <Route path="/programs/:id/parallel-run">{(p) => <ParallelRunPage programId={p.id} />}</Route>
        <Route path="/programs/:id/parallel-run/nights/:day">{(p) => <NightPage programId={p.id} businessDay={p.day} />}</Route>
        <Route path="/programs/:id/gates">{(p) => <GatesPage programId={p.id} />}</Route>
        <Route path="/programs/:id/gates/:gate">{(p) => <GatePage programId={p.id} gate={p.gate} />}</Route>
        <Route path="/programs/:id/runbooks">{(p) => <RunbooksPage programId={p.id} />}</Route>
        <Route path="/programs/:id/runbooks/:run">{(p) => <RunbookPage programId={p.id} runId={p.run} />}</Route>
        <Route path="/programs/:id/runbooks/:run/report">{(p) => <RunbookReportPage programId={p.id} runId={p.run} />}</Route>
        <Route path="/my-tasks">{() => <MyTasksPage />}</Route>
        <Route path="/programs/:id/emergency">{(p) => <EmergencyPage programId={p.id} />}</Route>
        <Route path="/incidents">{() => <IncidentsPage />}</Route>
        <Route path="/incidents/:id">{(p) => <IncidentPage incidentId={p.id} />}</Route>
        <Route path="/ack/:token">{(p) => <AckPage token={p.token} />}</Route>
        <Route path="/audit">{() => <AuditPage />}</Route>
        <Route>
          <main class="container">
            <h1>{t('ui.frame.noPage')}</h1>
            <p>
              <Link href="/">{t('ui.frame.backToPrograms')}</Link>
            </p>
          </main>
        </Route>
      </Switch>
    </SessionContext.Provider>
  );
}
