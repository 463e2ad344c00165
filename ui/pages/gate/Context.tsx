/** What else the approvers weigh: the parallel run's comparison trend and the open incidents. */
import { Link } from 'wouter-preact';
import { Badge, when } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import { Table } from '../../components/Table';
import { domainLabel } from '../../components/nights';
import type { IncidentRow } from '../../components/incident';
import { usePoll } from '../../poll';
import type { GateView, ProgramStatus } from '../../program';
import { Direction } from '../ParallelRun';

const notClean = (t: { warning: number; critical: number; failed: number }) =>
  (['warning', 'critical', 'failed'] as const)
    .filter((k) => t[k] > 0)
    .map((k) => `${t[k]} ${k}`)
    .join(', ') || 'none';

export function Trend({ status, gate }: { status: ProgramStatus; gate: GateView }) {
  const pr = status.parallelRun;
  const wave = Number(/^exit-(\d+)$/.exec(gate.gate)?.[1] ?? 0);
  const since = wave ? pr.nightsSinceWaveLive.find((w) => w.wave === wave) : undefined;
  return (
    <section aria-labelledby="gtrend-h">
      <h2 id="gtrend-h">Comparison trend</h2>
      {!pr.started ? (
        <p>No night compared yet: the parallel run starts when the pilot goes live.</p>
      ) : (
        <>
          <p>
            {pr.nightsCompared} {pr.nightsCompared === 1 ? 'night' : 'nights'} compared
            {since
              ? ` · since ${wave === 1 ? 'the pilot' : `wave ${wave}`} went live: ${since.compared} compared, ${since.clean} clean, ${since.warning} warning, ${since.critical} critical, ${since.failed} failed`
              : ''}
            . <Link href={`/programs/${status.programId}/parallel-run`}>Nights and chart</Link>
          </p>
          <Table
            class="compact"
            testid="gate-trend"
            rows={pr.trend}
            rowKey={(t) => t.domain}
            columns={[
              { header: 'Domain', rowHeader: true, cell: (t) => domainLabel(t.domain) },
              { header: 'Clean streak', cell: (t) => t.cleanStreak },
              { header: 'Nights not clean', cell: (t) => notClean(t) },
              { header: 'Trend', class: 'nowrap', cell: (t) => <Direction direction={t.direction} /> },
            ]}
          />
        </>
      )}
    </section>
  );
}

export function GateIncidents({ programId }: { programId: string }) {
  const { data, error } = usePoll<{ incidents: IncidentRow[] }>(`/v1/incidents?programId=${encodeURIComponent(programId)}&limit=100`, 5000);
  const open = (data?.incidents ?? []).filter((i) => i.status !== 'resolved');
  return (
    <section aria-labelledby="gincidents-h">
      <h2 id="gincidents-h">Open incidents</h2>
      {!data ? (
        error ? (
          <ErrorNote error={error} />
        ) : (
          <p aria-busy="true">Loading…</p>
        )
      ) : open.length === 0 ? (
        <p data-testid="gate-incidents">None open.</p>
      ) : (
        <ul data-testid="gate-incidents">
          {open.map((i) => (
            <li key={i.incidentId}>
              <Badge state={i.severity} label={i.severity.toUpperCase()} /> <Link href={`/incidents/${i.incidentId}`}>{i.condition}</Link> ·{' '}
              {i.departments.length ? i.departments.join(', ') : 'hospital-wide'} · <Badge state={i.status} /> · raised {when(i.raisedAt)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
