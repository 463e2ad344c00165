import { Link } from 'wouter-preact';
import { Badge, pct, when } from '../components/Badge';
import { LeadActions } from '../components/LeadActions';
import { Table } from '../components/Table';
import { ProgramFrame, useProgram, type ProgramStatus } from '../program';
import { usePoll } from '../poll';
import { runProgress } from '../components/run-progress';
import { whatHappened, type IncidentRow } from '../components/incident';

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
export function phaseSteps(s: ProgramStatus): Step[] {
  const gate = (key: string) => s.gates.find((g) => g.gate === key);
  const gateStep = (key: string, label: string): Step => {
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
      label,
      state,
      href: `/programs/${s.programId}/gates/${key}`,
      note: g?.status === 'open' ? (g.overdue ? 'overdue' : 'decision open') : g?.status,
    };
  };
  const steps: Step[] = [gateStep('readiness', 'Readiness gate')];
  for (const w of s.waves) {
    const state = w.status === 'pending' ? 'pending' : w.status === 'going-live' ? 'current' : 'done';
    steps.push({ key: `wave-${w.wave}`, label: w.wave === 1 ? 'Pilot wave' : `Wave ${w.wave}`, state, note: w.status });
    if (gate(`exit-${w.wave}`)) steps.push(gateStep(`exit-${w.wave}`, w.wave === 1 ? 'Go/no-go after pilot' : `Wave ${w.wave} exit gate`));
  }
  const pr = s.parallelRun;
  steps.push({
    key: 'parallel-run',
    label: 'Parallel run',
    state: !pr.started ? 'pending' : s.gates.find((g) => g.gate === 'final')?.status === 'go' ? 'done' : 'current',
    href: `/programs/${s.programId}/parallel-run`,
    note: pr.started ? `${pr.nightsCompared} compared` : undefined,
  });
  steps.push(gateStep('final', 'Final gate'));
  steps.push({ key: 'completed', label: 'Legacy retired', state: s.phase === 'completed' ? 'done' : 'pending' });
  return steps;
}

function Timeline({ status }: { status: ProgramStatus }) {
  return (
    <section aria-labelledby="timeline-h">
      <h2 id="timeline-h">Phases</h2>
      <ol class="timeline">
        {phaseSteps(status).map((st) => (
          <li key={st.key} class={`step ${st.state}`} aria-current={st.state === 'current' ? 'step' : undefined}>
            <span class="dot" aria-hidden="true" />
            {st.href ? <Link href={st.href}>{st.label}</Link> : <span>{st.label}</span>}
            <small>{st.note ?? st.state}</small>
          </li>
        ))}
      </ol>
    </section>
  );
}

const stateLabel: Record<string, string> = {
  legacy: 'on legacy',
  'going-live': 'going live',
  'live-parallel': 'live (parallel)',
  'cut-over': 'cut over',
  'rolling-back': 'rolling back',
  'rolled-back': 'rolled back',
  'rollback-failed': 'rollback failed',
};

function Departments({ status }: { status: ProgramStatus }) {
  const paused = new Set(status.emergency && status.emergency.status !== 'closed' ? status.emergency.pausedGoLives : []);
  return (
    <section aria-labelledby="departments-h">
      <h2 id="departments-h">Departments</h2>
      {status.waves.map((w) => (
        <div class="wave" key={w.wave}>
          <h3>
            {w.wave === 1 ? 'Pilot (wave 1)' : `Wave ${w.wave}`} <Badge state={w.status} />
            {w.wentLiveAt ? <small> live since {when(w.wentLiveAt)}</small> : null}
          </h3>
          <ul class="tiles">
            {status.departments
              .filter((d) => d.wave === w.wave)
              .map((d) => {
                const why = d.rollbackFailure
                  ? `undo of ${d.rollbackFailure.stepId} failed`
                  : d.failure
                    ? `${d.failure.stepId} failed`
                    : undefined;
                return (
                  <li
                    key={d.code}
                    class={`tile s-${d.state}${why ? ' has-failure' : ''}`}
                    data-testid={`tile-${d.code}`}
                    title={why ?? stateLabel[d.state]}
                  >
                    <strong>{d.code}</strong>
                    <span>{stateLabel[d.state] ?? d.state}</span>
                    {paused.has(d.code) ? <small>paused by the emergency</small> : null}
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
  const pr = status.parallelRun;
  const completed = status.phase === 'completed';
  return (
    <section aria-labelledby="pr-h">
      <h2 id="pr-h">
        <Link href={`/programs/${status.programId}/parallel-run`}>Parallel run</Link>
      </h2>
      {!pr.started ? (
        <p>Starts when the pilot goes live.</p>
      ) : (
        <>
          <p class="run-day" data-testid="run-day">
            {completed ? (
              <>
                <strong>Ended</strong> · {pr.nightsCompared} {pr.nightsCompared === 1 ? 'night' : 'nights'} compared · the legacy system is
                retired
              </>
            ) : pr.endsNoEarlierThan ? (
              <>
                <strong>{runProgress(status)}</strong> · {pr.nightsCompared} {pr.nightsCompared === 1 ? 'night' : 'nights'} compared · ends
                no earlier than {when(pr.endsNoEarlierThan)}
              </>
            ) : (
              <>
                <strong>Running since {when(status.waves[0]?.wentLiveAt)}</strong> · {pr.nightsCompared}{' '}
                {pr.nightsCompared === 1 ? 'night' : 'nights'} compared · its end is counted from the last wave&rsquo;s go-live
              </>
            )}
          </p>
          <Table
            class="compact"
            rows={pr.trend}
            rowKey={(t) => t.domain}
            columns={[
              { header: 'Domain', rowHeader: true, cell: (t) => t.domain },
              {
                header: 'Last night',
                cell: (t) => {
                  const last = pr.lastNight?.perDomain.find((d) => d.domain === t.domain);
                  return last ? <Badge state={last.status} /> : '—';
                },
              },
              { header: 'Mismatch', cell: (t) => pct(t.latestMismatchRate, 3) },
              { header: 'Clean streak', cell: (t) => t.cleanStreak },
              { header: 'Trend', cell: (t) => (t.direction === 'unknown' ? 'too few nights' : t.direction) },
            ]}
          />
          {completed ? null : pr.finalGateBlockers.length ? (
            <p>
              <small>Final gate not yet: {pr.finalGateBlockers.join('; ')}</small>
            </p>
          ) : (
            <p>
              <small>The final gate may be requested.</small>
            </p>
          )}
        </>
      )}
    </section>
  );
}

function OpenGates({ status }: { status: ProgramStatus }) {
  const open = status.gates.filter((g) => g.status === 'open');
  return (
    <section aria-labelledby="gates-h">
      <h2 id="gates-h">Open gates</h2>
      {open.length === 0 ? (
        <p>None waiting for a decision.</p>
      ) : (
        <ul>
          {open.map((g) => (
            <li key={g.gate}>
              <Link href={`/programs/${status.programId}/gates/${g.gate}`}>{g.gate}</Link> · {g.decisions.length} of {g.approvers.length}{' '}
              approvers decided
              {g.deadline ? ` · deadline ${when(g.deadline)}` : ''} {g.overdue ? <Badge state="overdue" /> : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function OpenIncidents({ programId }: { programId: string }) {
  const { data } = usePoll<{ incidents: IncidentRow[] }>(`/v1/incidents?programId=${encodeURIComponent(programId)}&limit=50`, 4000);
  const open = (data?.incidents ?? []).filter((i) => i.status !== 'resolved');
  return (
    <section aria-labelledby="incidents-h">
      <h2 id="incidents-h">Open incidents</h2>
      {!data ? (
        <p aria-busy="true">Loading…</p>
      ) : open.length === 0 ? (
        <p>None open.</p>
      ) : (
        <ul>
          {open.map((i) => (
            <li key={i.incidentId}>
              <Badge state={i.severity} label={i.severity.toUpperCase()} />{' '}
              <Link href={`/incidents/${i.incidentId}`}>{whatHappened(i.condition)}</Link>{' '}
              {i.departments.length ? i.departments.join(', ') : 'hospital-wide'} · <Badge state={i.status} />
              {i.status === 'open' && i.level ? ` · level ${i.level}` : ''} {i.ownerId ? ` · owner ${i.ownerId}` : ''} · raised{' '}
              {when(i.raisedAt)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** After the final gate: the go-live is over, and a new one is a new program. */
function Completed({ status }: { status: ProgramStatus }) {
  return (
    <section aria-labelledby="completed-h" data-testid="program-completed">
      <h2 id="completed-h">Go-live complete</h2>
      <p>
        All {status.departments.length} departments are on the new system, the final gate was passed and the legacy system is retired.
        Nothing is left to do in this program; a new go-live is a new program with a new program id.
      </p>
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
