import { Link } from 'wouter-preact';
import { Badge } from '../components/Badge';
import { LeadActions } from '../components/LeadActions';
import { Table } from '../components/Table';
import { useWords, type PageWords } from '../i18n';
import { ProgramFrame, useProgram, type ProgramStatus } from '../program';
import { usePoll } from '../poll';
import { runProgress } from '../components/run-progress';
import { nameOf, whatHappened, type IncidentRow } from '../components/incident';
import { domainLabel } from '../components/nights';
import { blockText } from '../components/blockers';
import { gateTitle } from './gate/words';
import { Direction } from './ParallelRun';

export function OverviewPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="overview">
      <Overview />
    </ProgramFrame>
  );
}

interface Step {
  key: string;
  label: string;
  state: 'done' | 'current' | 'pending' | 'failed';
  href?: string;
  note?: string;
}

/** Readiness gate, each wave and its exit gate, the parallel run, the final gate: in the order they are passed. */
export function phaseSteps(w: PageWords, s: ProgramStatus): Step[] {
  const { t } = w;
  const gate = (key: string) => s.gates.find((g) => g.gate === key);
  const gateStep = (key: string): Step => {
    const g = gate(key);
    const state = !g
      ? 'pending'
      : g.status === 'go'
        ? 'done'
        : g.status === 'open'
          ? 'current'
          : g.status === 'no-go'
            ? 'failed'
            : 'pending';
    return {
      key: `gate-${key}`,
      label: gateTitle(w, key),
      state,
      href: `/programs/${s.programId}/gates/${key}`,
      note:
        g?.status === 'open' ? t(g.overdue ? 'ui.state.overdue' : 'ui.common.openForDecision') : g ? t(`ui.state.${g.status}`) : undefined,
    };
  };
  const steps: Step[] = [gateStep('readiness')];
  for (const w of s.waves) {
    const state = w.status === 'pending' ? 'pending' : w.status === 'going-live' ? 'current' : 'done';
    steps.push({ key: `wave-${w.wave}`, label: t('ui.overview.wave', { wave: w.wave }), state, note: t(`ui.state.${w.status}`) });
    if (gate(`exit-${w.wave}`)) steps.push(gateStep(`exit-${w.wave}`));
  }
  const pr = s.parallelRun;
  steps.push({
    key: 'parallel-run',
    label: t('ui.overview.parallelRun'),
    state: !pr.started ? 'pending' : s.gates.find((g) => g.gate === 'final')?.status === 'go' ? 'done' : 'current',
    href: `/programs/${s.programId}/parallel-run`,
    note: pr.started ? t('ui.common.nightsCompared', { n: pr.nightsCompared }) : undefined,
  });
  steps.push(gateStep('final'));
  steps.push({ key: 'completed', label: t('ui.overview.legacyRetired'), state: s.phase === 'completed' ? 'done' : 'pending' });
  return steps;
}

function Timeline({ status }: { status: ProgramStatus }) {
  const w = useWords();
  return (
    <section aria-labelledby="timeline-h">
      <h2 id="timeline-h">{w.t('ui.overview.phases')}</h2>
      <ol class="timeline">
        {phaseSteps(w, status).map((st) => (
          <li key={st.key} class={`step ${st.state}`} aria-current={st.state === 'current' ? 'step' : undefined}>
            <span class="dot" aria-hidden="true" />
            {st.href ? <Link href={st.href}>{st.label}</Link> : <span>{st.label}</span>}
            <small>{st.note ?? w.t(`ui.state.${st.state}`)}</small>
          </li>
        ))}
      </ol>
    </section>
  );
}

function Departments({ status }: { status: ProgramStatus }) {
  const { t, when } = useWords();
  const paused = new Set(status.emergency && status.emergency.status !== 'closed' ? status.emergency.pausedGoLives : []);
  return (
    <section aria-labelledby="departments-h">
      <h2 id="departments-h">{t('ui.overview.departments')}</h2>
      {status.waves.map((w) => (
        <div class="wave" key={w.wave}>
          <h3>
            {t('ui.overview.waveHeading', { wave: w.wave })} <Badge state={w.status} />
            {w.wentLiveAt ? <small> {t('ui.overview.liveSince', { time: when(w.wentLiveAt) })}</small> : null}
          </h3>
          <ul class="tiles">
            {status.departments
              .filter((d) => d.wave === w.wave)
              .map((d) => {
                const why = d.rollbackFailure
                  ? t('ui.overview.undoFailed', { step: d.rollbackFailure.stepId })
                  : d.failure
                    ? t('ui.overview.stepFailed', { step: d.failure.stepId })
                    : undefined;
                return (
                  <li
                    key={d.code}
                    class={`tile s-${d.state}${why ? ' has-failure' : ''}`}
                    data-testid={`tile-${d.code}`}
                    title={why ?? t(`ui.state.${d.state}`)}
                  >
                    <strong>{d.code}</strong>
                    <span>{t(`ui.state.${d.state}`)}</span>
                    {paused.has(d.code) ? <small>{t('ui.overview.pausedByEmergency')}</small> : null}
                    {why ? <small class="why">{why}</small> : null}
                  </li>
                );
              })}
          </ul>
        </div>
      ))}
    </section>
  );
}

function ParallelRunCard({ status }: { status: ProgramStatus }) {
  const w = useWords();
  const { t, when, pct, locale } = w;
  const pr = status.parallelRun;
  const completed = status.phase === 'completed';
  const progress = runProgress(status, locale);
  const compared = t('ui.common.nightsCompared', { n: pr.nightsCompared });
  return (
    <section aria-labelledby="pr-h">
      <h2 id="pr-h">
        <Link href={`/programs/${status.programId}/parallel-run`}>{t('ui.overview.parallelRun')}</Link>
      </h2>
      {!pr.started ? (
        <p>{t('ui.overview.startsWithPilot')}</p>
      ) : (
        <>
          <p class="run-day" data-testid="run-day">
            {completed ? (
              <>
                <strong>{t('ui.overview.ended')}</strong> · {compared} · {t('ui.overview.retired')}
              </>
            ) : pr.endsNoEarlierThan ? (
              <>
                <strong>{progress}</strong> · {compared} · {t('ui.overview.endsNoEarlier', { time: when(pr.endsNoEarlierThan) })}
              </>
            ) : (
              <>
                <strong>{t('ui.overview.runningSince', { time: when(status.waves[0]?.wentLiveAt) })}</strong> · {compared} ·{' '}
                {t('ui.overview.endCounted')}
              </>
            )}
          </p>
          <Table
            class="compact"
            rows={pr.trend}
            rowKey={(row) => row.domain}
            columns={[
              { header: t('ui.common.domain'), rowHeader: true, cell: (row) => domainLabel(row.domain) },
              {
                header: t('ui.common.lastNight'),
                cell: (row) => {
                  const last = pr.lastNight?.perDomain.find((d) => d.domain === row.domain);
                  return last ? <Badge state={last.status} /> : '—';
                },
              },
              { header: t('ui.common.mismatch'), cell: (row) => pct(row.latestMismatchRate, 3) },
              { header: t('ui.common.cleanStreak'), cell: (row) => row.cleanStreak },
              { header: t('ui.common.trend'), cell: (row) => <Direction direction={row.direction} /> },
            ]}
          />
          {completed ? null : pr.finalGateBlocks.length ? (
            <p>
              <small data-testid="final-blockers">
                {t('ui.overview.finalNotYet', { blockers: w.list(pr.finalGateBlocks.map((b) => blockText(w, b))) })}
              </small>
            </p>
          ) : (
            <p>
              <small>{t('ui.overview.finalMay')}</small>
            </p>
          )}
        </>
      )}
    </section>
  );
}

function OpenGates({ status }: { status: ProgramStatus }) {
  const w = useWords();
  const { t, when } = w;
  const open = status.gates.filter((g) => g.status === 'open');
  return (
    <section aria-labelledby="gates-h">
      <h2 id="gates-h">{t('ui.overview.openGates')}</h2>
      {open.length === 0 ? (
        <p>{t('ui.overview.noOpenGates')}</p>
      ) : (
        <ul>
          {open.map((g) => (
            <li key={g.gate}>
              <Link href={`/programs/${status.programId}/gates/${g.gate}`}>{gateTitle(w, g.gate)}</Link> ·{' '}
              {t('ui.overview.approversDecided', { decided: g.decisions.length, total: g.approvers.length })}
              {g.deadline ? ` · ${t('ui.gate.deadline', { time: when(g.deadline) })}` : ''} {g.overdue ? <Badge state="overdue" /> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function OpenIncidents({ programId }: { programId: string }) {
  const { t, when, list, locale } = useWords();
  const { data } = usePoll<{ incidents: IncidentRow[] }>(`/v1/incidents?programId=${encodeURIComponent(programId)}&limit=50`, 4000);
  const open = (data?.incidents ?? []).filter((i) => i.status !== 'resolved');
  return (
    <section aria-labelledby="incidents-h">
      <h2 id="incidents-h">{t('ui.common.openIncidents')}</h2>
      {!data ? (
        <p aria-busy="true">{t('ui.common.loading')}</p>
      ) : open.length === 0 ? (
        <p>{t('ui.common.noneOpen')}</p>
      ) : (
        <ul>
          {open.map((i) => (
            <li key={i.incidentId}>
              <Badge state={i.severity} /> <Link href={`/incidents/${i.incidentId}`}>{whatHappened(i.condition, i.counts, locale)}</Link>{' '}
              {i.departments.length ? list(i.departments) : t('ui.common.hospitalWide')} ·{' '}
              <Badge state={i.status} label={t(`incident.state.${i.status}`)} />
              {i.status === 'open' && i.level ? ` · ${t('ui.common.level', { level: i.level })}` : ''}
              {i.ownerId ? ` · ${t('ui.common.owner', { name: nameOf(i, i.ownerId) })}` : ''} ·{' '}
              {t('ui.common.raised', { time: when(i.raisedAt) })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** After the final gate: the go-live is over, and a new one is a new program. */
function Completed({ status }: { status: ProgramStatus }) {
  const { t } = useWords();
  return (
    <section aria-labelledby="completed-h" data-testid="program-completed">
      <h2 id="completed-h">{t('ui.overview.complete')}</h2>
      <p>{t('ui.overview.completeText', { n: status.departments.length })}</p>
    </section>
  );
}

function Overview() {
  const { status, refresh } = useProgram();
  const completed = status.phase === 'completed';
  return (
    <>
      {completed ? <Completed status={status} /> : null}
      <Timeline status={status} />
      <div class="grid overview-grid">
        <div>
          <OpenGates status={status} />
          <OpenIncidents programId={status.programId} />
        </div>
        <ParallelRunCard status={status} />
      </div>
      <Departments status={status} />
      {completed ? null : <LeadActions status={status} onDone={refresh} />}
    </>
  );
}
