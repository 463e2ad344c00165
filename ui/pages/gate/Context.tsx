/** What else the approvers weigh: the parallel run's comparison trend and the open incidents. */
import { Link } from 'wouter-preact';
import { Badge } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import { Table } from '../../components/Table';
import { domainLabel } from '../../components/nights';
import { whatHappened, type IncidentRow } from '../../components/incident';
import { useWords } from '../../i18n';
import { usePoll } from '../../poll';
import type { GateView, ProgramStatus } from '../../program';
import { Direction } from '../ParallelRun';

export function Trend({ status, gate }: { status: ProgramStatus; gate: GateView }) {
  const { t, list } = useWords();
  const pr = status.parallelRun;
  const wave = Number(/^exit-(\d+)$/.exec(gate.gate)?.[1] ?? 0);
  const since = wave ? pr.nightsSinceWaveLive.find((w) => w.wave === wave) : undefined;
  const notClean = (n: { warning: number; critical: number; failed: number }) =>
    list((['warning', 'critical', 'failed'] as const).filter((k) => n[k] > 0).map((k) => t(`ui.trend.notClean.${k}`, { n: n[k] }))) ||
    t('ui.common.none');
  return (
    <section aria-labelledby="gtrend-h">
      <h2 id="gtrend-h">{t('ui.trend.title')}</h2>
      {!pr.started ? (
        <p>{t('ui.trend.notStarted')}</p>
      ) : (
        <>
          <p>
            {t('ui.common.nightsCompared', { n: pr.nightsCompared })}
            {since ? ` · ${t('ui.trend.since', since)}` : ''}{' '}
            <Link href={`/programs/${status.programId}/parallel-run`}>{t('ui.trend.chart')}</Link>
          </p>
          <Table
            class="compact"
            testid="gate-trend"
            rows={pr.trend}
            rowKey={(row) => row.domain}
            columns={[
              { header: t('ui.common.domain'), rowHeader: true, cell: (row) => domainLabel(row.domain) },
              { header: t('ui.common.cleanStreak'), cell: (row) => row.cleanStreak },
              { header: t('ui.trend.notCleanCol'), cell: (row) => notClean(row) },
              { header: t('ui.common.trend'), class: 'nowrap', cell: (row) => <Direction direction={row.direction} /> },
            ]}
          />
        </>
      )}
    </section>
  );
}

export function GateIncidents({ programId }: { programId: string }) {
  const { t, when, list, locale } = useWords();
  const { data, error } = usePoll<{ incidents: IncidentRow[] }>(`/v1/incidents?programId=${encodeURIComponent(programId)}&limit=100`, 5000);
  const open = (data?.incidents ?? []).filter((i) => i.status !== 'resolved');
  return (
    <section aria-labelledby="gincidents-h">
      <h2 id="gincidents-h">{t('ui.common.openIncidents')}</h2>
      {!data ? (
        error ? (
          <ErrorNote error={error} />
        ) : (
          <p aria-busy="true">{t('ui.common.loading')}</p>
        )
      ) : open.length === 0 ? (
        <p data-testid="gate-incidents">{t('ui.common.noneOpen')}</p>
      ) : (
        <ul data-testid="gate-incidents">
          {open.map((i) => (
            <li key={i.incidentId}>
              <Badge state={i.severity} /> <Link href={`/incidents/${i.incidentId}`}>{whatHappened(i.condition, i.counts, locale)}</Link> ·{' '}
              {i.departments.length ? list(i.departments) : t('ui.common.hospitalWide')} ·{' '}
              <Badge state={i.status} label={t(`incident.state.${i.status}`)} /> · {t('ui.common.raised', { time: when(i.raisedAt) })}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
