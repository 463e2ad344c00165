import { useEffect, useState } from 'preact/hooks';
import { Link, Route, Switch, useRoute } from 'wouter-preact';
import { api, ApiError, configureApi } from './api';
import { ErrorNote } from './components/ErrorNote';
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
  const [checkLink, checkParams] = useRoute<{ token: string }>('/check/:token');

  const adopt = (s: SignedIn | null) => {
    configureApi({ csrfToken: s?.csrfToken ?? '', onSignedOut: () => setSession(null) });
    setSession(s);
  };

  useEffect(() => {
    api<SignedIn>('GET', '/v1/session')
      .then(adopt)
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) adopt(null);
        else setError(err);
      });
  }, []);

  // A check-off link's page needs no sign-in: the link is the credential (api/routes/check-links.ts).
  if (checkLink) return <CheckPage token={checkParams.token} />;
  if (session === undefined) {
    return <main class="container">{error ? <ErrorNote error={error} /> : <p aria-busy="true">Checking your sign-in…</p>}</main>;
  }
  // Not signed in: the sign-in form in place, the address unchanged, so an e-mail's link opens its page right after.
  if (session === null) return <SignInPage onSignedIn={adopt} />;

  const signOut = async () => {
    await api('DELETE', '/v1/session').catch(() => undefined);
    adopt(null);
  };
  const canAudit = session.person.roles.some((r) => r === 'admin' || r === 'lead' || r === 'leadership');
  return (
    <SessionContext.Provider value={session}>
      <header class="container-fluid topbar">
        <nav aria-label="Main">
          <ul>
            <li>
              <Link href="/" class="brand">
                golive
              </Link>
            </li>
            <li>
              <Link href="/">Programs</Link>
            </li>
            <li>
              <Link href="/my-tasks">My tasks</Link>
            </li>
            <li>
              <Link href="/incidents">Incidents</Link>
            </li>
            {canAudit ? (
              <li>
                <Link href="/audit">Audit trail</Link>
              </li>
            ) : null}
          </ul>
          <ul>
            <li data-testid="signed-in-as">
              {session.person.displayName} <small>({session.person.roles.join(', ')})</small>
            </li>
            <li>
              <button type="button" class="secondary outline" onClick={() => void signOut()}>
                Sign out
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
            <h1>No such page</h1>
            <p>
              <Link href="/">Back to the programs</Link>
            </p>
          </main>
        </Route>
      </Switch>
    </SessionContext.Provider>
  );
}
