import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { ProgramStatus } from '../domain/rollout';
import { Badge } from './components/Badge';
import { t } from '../domain/i18n';
import { useWords, WordsContext, type PageWords } from './i18n';
import { ErrorNote } from './components/ErrorNote';
import { usePoll } from './poll';
import { domainLabel, nightLabel, showDomainTitles } from './components/nights';

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
  { key: 'overview', href: (id: string) => `/programs/${id}` },
  { key: 'parallel-run', href: (id: string) => `/programs/${id}/parallel-run` },
  { key: 'gates', href: (id: string) => `/programs/${id}/gates` },
  { key: 'runbooks', href: (id: string) => `/programs/${id}/runbooks` },
  { key: 'emergency', href: (id: string) => `/programs/${id}/emergency` },
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
  const outer = useContext(WordsContext);
  const { data: status, error, refresh } = usePoll<ProgramStatus>(`/v1/programs/${encodeURIComponent(programId)}`);
  if (!status) {
    return (
      <main class="container">
        {error ? <ErrorNote error={error} /> : <p aria-busy="true">{t(outer.locale, 'ui.program.loading', { program: programId })}</p>}
      </main>
    );
  }
  showDomainTitles(status.parallelRun.domainTitles);
  // A program's pages show its hospital's clock.
  return (
    <WordsContext.Provider value={{ locale: outer.locale, timeZone: status.timeZone }}>
      <ProgramBody status={status} error={error} refresh={refresh} programId={programId} active={active}>
        {children}
      </ProgramBody>
    </WordsContext.Provider>
  );
}

/**
 * Why the program is paused, in words: the workflow writes its reason in English, so the two
 * reasons it has (an emergency, a critical night whose plan says pause) are worded from the status
 * itself; anything else shows as written.
 */
export function pausedNote(status: ProgramStatus, w: Pick<PageWords, 't' | 'list'>): string {
  const e = status.emergency;
  if (e && e.status !== 'closed') return w.t('ui.program.pausedEmergency', { n: e.emergency, reason: e.reason });
  const critical = status.parallelRun.critical.filter((c) => c.onCritical === 'pause').map((c) => c.domain);
  const night = status.parallelRun.lastNight?.businessDay;
  if (critical.length && night)
    return w.t('ui.program.pausedCritical', { night: nightLabel(night), domains: w.list(critical.map(domainLabel)) });
  return w.t('ui.program.paused', { reason: status.pausedReason ?? '' });
}

function ProgramBody({
  status,
  error,
  refresh,
  programId,
  active,
  children,
}: {
  status: ProgramStatus;
  error: unknown;
  refresh: () => void;
  programId: string;
  active: (typeof tabs)[number]['key'] | 'other';
  children: ComponentChildren;
}) {
  const { t, when, list } = useWords();
  const emergency = status.emergency && status.emergency.status !== 'closed' ? status.emergency : undefined;
  return (
    <ProgramContext.Provider value={{ status, refresh }}>
      {emergency ? (
        <div class="emergency-banner" role="alert" data-testid="emergency-banner">
          <strong>{t('ui.program.banner', { n: emergency.emergency, status: emergency.status })}</strong>{' '}
          {t('ui.program.bannerSince', {
            time: when(emergency.declaredAt),
            departments: emergency.departments.length ? list(emergency.departments) : t('ui.program.wholeHospital'),
          })}{' '}
          {emergency.reason} <Link href={`/programs/${programId}/emergency`}>{t('ui.program.emergencyPage')}</Link>
        </div>
      ) : null}
      <main class="container">
        <hgroup class="program-head">
          <h1>
            {status.hospital} <Badge state={status.phase} />
          </h1>
          <p>
            {t('ui.program.head', { program: status.programId, zone: status.timeZone, time: when(status.updatedAt, { seconds: true }) })}
            {error ? <span class="stale"> · {t('ui.program.stale')}</span> : null}
          </p>
        </hgroup>
        {status.pausedReason ? (
          <p class="paused-note" role="status">
            {pausedNote(status, { t, list })}
          </p>
        ) : null}
        <nav aria-label={t('ui.program.tabs')} class="tabs">
          <ul>
            {tabs.map((tab) => (
              <li key={tab.key}>
                <Link href={tab.href(programId)} aria-current={active === tab.key ? 'page' : undefined}>
                  {t(`ui.program.tab.${tab.key}`)}
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
