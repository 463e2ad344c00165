import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { ProgramStatus } from '../domain/rollout';
import { Badge, when } from './components/Badge';
import { ErrorNote } from './components/ErrorNote';
import { usePoll } from './poll';

export type { ProgramStatus, GateView, DepartmentView, WaveView, EmergencyView, ParallelRunView } from '../domain/rollout';

interface ProgramCtx {
  status: ProgramStatus;
  refresh: () => void;
}
const ProgramContext = createContext<ProgramCtx | null>(null);

export function useProgram(): ProgramCtx {
  const ctx = useContext(ProgramContext);
  if (!ctx) throw new Error('useProgram outside ProgramFrame');
  return ctx;
}

const tabs = [
  { key: 'overview', label: 'Overview', href: (id: string) => `/programs/${id}` },
  { key: 'parallel-run', label: 'Parallel run', href: (id: string) => `/programs/${id}/parallel-run` },
  { key: 'gates', label: 'Gates', href: (id: string) => `/programs/${id}/gates` },
  { key: 'runbooks', label: 'Runbooks', href: (id: string) => `/programs/${id}/runbooks` },
  { key: 'emergency', label: 'Emergency', href: (id: string) => `/programs/${id}/emergency` },
] as const;

/**
 * Every program page: the live status (polled), the emergency banner, the program's tabs.
 * The banner is here so that it reaches whoever is looking at any page of the program.
 */
export function ProgramFrame({
  programId,
  active,
  children,
}: {
  programId: string;
  active: (typeof tabs)[number]['key'] | 'other';
  children: ComponentChildren;
}) {
  const { data: status, error, refresh } = usePoll<ProgramStatus>(`/v1/programs/${encodeURIComponent(programId)}`);
  if (!status) {
    return <main class="container">{error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading program {programId}…</p>}</main>;
  }
  const emergency = status.emergency && status.emergency.status !== 'closed' ? status.emergency : undefined;
  return (
    <ProgramContext.Provider value={{ status, refresh }}>
      {emergency ? (
        <div class="emergency-banner" role="alert" data-testid="emergency-banner">
          <strong>
            EMERGENCY #{emergency.emergency}: {emergency.status === 'open' ? 'paper operation' : 'systems restored, back-entry under way'}
          </strong>{' '}
          since {when(emergency.declaredAt)} — {emergency.departments.length ? emergency.departments.join(', ') : 'whole hospital'}.{' '}
          {emergency.reason} <Link href={`/programs/${programId}/emergency`}>Emergency page</Link>
        </div>
      ) : null}
      <main class="container">
        <hgroup class="program-head">
          <h1>
            {status.hospital} <Badge state={status.phase} />
          </h1>
          <p>
            Program <code>{status.programId}</code> · hospital time zone {status.timeZone} · updated {when(status.updatedAt)}
            {error ? <span class="stale"> · connection lost, showing the last answer</span> : null}
          </p>
        </hgroup>
        {status.pausedReason ? (
          <p class="paused-note" role="status">
            Paused: {status.pausedReason}
          </p>
        ) : null}
        <nav aria-label="Program pages" class="tabs">
          <ul>
            {tabs.map((t) => (
              <li key={t.key}>
                <Link href={t.href(programId)} aria-current={active === t.key ? 'page' : undefined}>
                  {t.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        {children}
      </main>
    </ProgramContext.Provider>
  );
}
