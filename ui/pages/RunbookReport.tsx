import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { Badge } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { minutes, type RunbookReport, type RunbookRunView, type TaskReport } from '../components/runbook';
import { Table } from '../components/Table';
import { usePoll } from '../poll';
import { useWords, type PageWords } from '../i18n';
import { ProgramFrame } from '../program';

const MIN = 60_000;

export function RunbookReportPage({ programId, runId }: { programId: string; runId: string }) {
  return (
    <ProgramFrame programId={programId} active="runbooks">
      <Report programId={programId} runId={runId} />
    </ProgramFrame>
  );
}

/**
 * The rehearsal report: per task planned vs this run vs the earlier runs of the same runbook
 * (median, 90th percentile), how the critical path drifted, and the durations it proposes. All
 * in real minutes, also for a compressed rehearsal.
 */
function Report({ programId, runId }: { programId: string; runId: string }) {
  const base = `/v1/programs/${encodeURIComponent(programId)}/runbook-runs/${encodeURIComponent(runId)}`;
  const { data: report, error } = usePoll<RunbookReport>(`${base}/report`, 5000);
  const { data: run } = usePoll<RunbookRunView>(base, 5000);
  const [only, setOnly] = useState<'all' | 'critical' | 'proposed'>('all');
  const { t, list } = useWords();
  if (!report) return error ? <ErrorNote error={error} /> : <p aria-busy="true">{t('ui.report.loading', { run: runId })}</p>;
  const titles = new Map(run?.tasks.map((task) => [task.id, task.title]) ?? []);
  const rows = report.tasks.filter((task) =>
    only === 'critical'
      ? task.onCriticalPath
      : only === 'proposed'
        ? task.proposedMinutes !== null
        : task.actualMinutes !== null || task.runs > 0,
  );
  const proposals = report.tasks.filter((task) => task.proposedMinutes !== null);
  const min = (m: number) => minutes(m, t);
  return (
    <section aria-labelledby="report-h" class="runbook-report">
      <p class="crumbs">
        <Link href={`/programs/${programId}/runbooks`}>{t('ui.timeline.crumb')}</Link> ›{' '}
        <Link href={`/programs/${programId}/runbooks/${runId}`}>
          <code>{runId}</code>
        </Link>{' '}
        ›
      </p>
      <h2 id="report-h">
        {t(report.mode === 'rehearsal' ? 'ui.timeline.rehearsalReport' : 'ui.timeline.runReport')} <code>{report.runId}</code>{' '}
        {report.mode === 'rehearsal' ? <Badge state="rehearsal" label={t('ui.runbook.rehearsal')} /> : null}
      </h2>
      <dl class="run-facts" data-testid="report-facts">
        <div>
          <dt>{t('ui.report.planned')}</dt>
          <dd>{min(report.plannedMinutes)}</dd>
        </div>
        <div>
          <dt>{t('ui.report.actual')}</dt>
          <dd>{min(report.actualMinutes)}</dd>
        </div>
        <div class={report.driftMinutes > 0 ? 'bad' : 'ok'}>
          <dt>{t('ui.report.drift')}</dt>
          <dd>
            {report.driftMinutes > 0 ? '+' : ''}
            {min(report.driftMinutes)}
          </dd>
        </div>
        <div class={report.fittedWindow ? 'ok' : 'bad'}>
          <dt>{t('ui.report.window')}</dt>
          <dd>{t(report.fittedWindow ? 'ui.report.fitted' : 'ui.report.notFitted')}</dd>
        </div>
        <div>
          <dt>{t('ui.report.clock')}</dt>
          <dd>{report.compressed ? t('ui.report.compressed', { speed: report.speed }) : t('ui.report.realTime')}</dd>
        </div>
        <div>
          <dt>{t('ui.report.comparedWith')}</dt>
          <dd>{report.earlierRuns.length ? list(report.earlierRuns) : t('ui.report.noEarlier')}</dd>
        </div>
      </dl>

      <h3>{t('ui.report.perTask')}</h3>
      <p class="action-row">
        <label class="inline">
          {t('ui.timeline.show')}{' '}
          <select
            value={only}
            onChange={(e) => setOnly((e.currentTarget as HTMLSelectElement).value as typeof only)}
            aria-label={t('ui.timeline.showTasks')}
          >
            {(['all', 'critical', 'proposed'] as const).map((v) => (
              <option key={v} value={v}>
                {t(`ui.report.show.${v}`)}
              </option>
            ))}
          </select>
        </label>
      </p>
      <p class="legend muted" aria-hidden="true">
        {(['planned', 'actual', 'median', 'p90'] as const).map((k) => (
          <span key={k}>
            <span class={`key ${k}`} /> {t(`ui.report.legend.${k}`)}{' '}
          </span>
        ))}
      </p>
      <div class="chart-scroll">
        <TaskChart rows={rows} titles={titles} words={{ t }} />
      </div>

      {run ? <DriftChart run={run} words={{ t }} /> : null}

      <h3>{t('ui.report.proposed')}</h3>
      <Table
        testid="proposals"
        class="compact auto-width"
        rows={proposals}
        rowKey={(task) => task.id}
        empty={t('ui.report.noProposal')}
        columns={[
          { header: t('ui.report.col.task'), rowHeader: true, cell: (task) => <code>{task.id}</code> },
          { header: t('ui.report.col.title'), cell: (task) => titles.get(task.id) ?? '' },
          { header: t('ui.report.col.planned'), class: 'num', cell: (task) => min(task.plannedMinutes) },
          {
            header: t('ui.report.col.median'),
            class: 'num',
            cell: (task) => (task.medianMinutes === null ? '—' : min(task.medianMinutes)),
          },
          { header: t('ui.report.col.p90'), class: 'num', cell: (task) => (task.p90Minutes === null ? '—' : min(task.p90Minutes)) },
          { header: t('ui.report.col.runs'), class: 'num', cell: (task) => task.runs },
          { header: t('ui.report.col.proposed'), class: 'num', cell: (task) => <strong>{min(task.proposedMinutes!)}</strong> },
          { header: t('ui.report.col.critical'), cell: (task) => (task.onCriticalPath ? t('ui.report.yes') : '') },
        ]}
      />
    </section>
  );
}

const rowH = 24;
const labelW = 210;
const chartW = 820;

/** One row per task: the plan as a grey bar, this run as a bar over it, the earlier runs' median and 90th percentile as ticks. */
function TaskChart({ rows, titles, words: { t } }: { rows: TaskReport[]; titles: Map<string, string>; words: Pick<PageWords, 't'> }) {
  if (rows.length === 0) return <p class="muted">{t('ui.report.noTask')}</p>;
  const max = Math.max(5, ...rows.flatMap((t) => [t.plannedMinutes, t.actualMinutes ?? 0, t.p90Minutes ?? 0]));
  const sx = (m: number) => labelW + (m / max) * (chartW - labelW - 60);
  const height = rows.length * rowH + 24;
  return (
    <svg
      class="report-chart"
      viewBox={`0 0 ${chartW} ${height}`}
      width="100%"
      role="img"
      aria-label={t('ui.report.chartLabel', { n: rows.length })}
      data-testid="task-chart"
    >
      {axis(max).map((m) => (
        <g key={m}>
          <line x1={sx(m)} x2={sx(m)} y1={0} y2={height - 18} class="grid" />
          <text x={sx(m)} y={height - 4} class="axis" text-anchor="middle">
            {t('ui.report.axisMinutes', { m })}
          </text>
        </g>
      ))}
      {rows.map((task, i) => {
        const y = i * rowH;
        const over = task.actualMinutes !== null && task.actualMinutes > task.plannedMinutes + 5;
        return (
          <g key={task.id}>
            <title>
              {t('ui.report.taskTip', {
                task: task.id,
                planned: task.plannedMinutes,
                actual: task.actualMinutes ?? '—',
                median: task.medianMinutes ?? '—',
                p90: task.p90Minutes ?? '—',
                runs: task.runs,
              })}
            </title>
            <text x={0} y={y + 16} class={`label${task.onCriticalPath ? ' crit' : ''}`}>
              {task.id.length > 16 ? `${task.id.slice(0, 15)}…` : task.id}
              {titles.get(task.id) ? ` ${truncate(titles.get(task.id)!, 14)}` : ''}
            </text>
            <rect x={labelW} y={y + 4} width={Math.max(1, sx(task.plannedMinutes) - labelW)} height={8} class="planned" />
            {task.actualMinutes !== null ? (
              <rect
                x={labelW}
                y={y + 12}
                width={Math.max(1, sx(task.actualMinutes) - labelW)}
                height={8}
                class={over ? ['actual', 'over'].join(' ') : 'actual'}
              />
            ) : null}
            {task.medianMinutes !== null ? (
              <line x1={sx(task.medianMinutes)} x2={sx(task.medianMinutes)} y1={y + 2} y2={y + 22} class="median" />
            ) : null}
            {task.p90Minutes !== null ? (
              <line x1={sx(task.p90Minutes)} x2={sx(task.p90Minutes)} y1={y + 2} y2={y + 22} class="p90" />
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function axis(max: number): number[] {
  const step = max > 240 ? 60 : max > 90 ? 30 : max > 30 ? 10 : 5;
  const out: number[] = [];
  for (let m = 0; m <= max; m += step) out.push(m);
  return out;
}

/** How late (or early) each task of the critical path finished against the plan, in real minutes: where the night's end drifted. */
function DriftChart({ run, words: { t } }: { run: RunbookRunView; words: Pick<PageWords, 't'> }) {
  const times = new Map(run.schedule.tasks.map((task) => [task.id, task]));
  const drift = run.schedule.criticalPath.map((id) => {
    const task = times.get(id)!;
    return { id, minutes: Math.round(((task.forecastFinishMs - task.plannedFinishMs) * run.speed) / MIN) };
  });
  if (drift.length === 0) return null;
  const max = Math.max(5, ...drift.map((d) => Math.abs(d.minutes)));
  const barW = Math.max(8, Math.min(48, (chartW - 80) / drift.length - 4));
  const mid = 90;
  const sy = (m: number) => (m / max) * (mid - 14);
  return (
    <>
      <h3>{t('ui.report.driftTitle')}</h3>
      <svg
        class="report-chart"
        viewBox={`0 0 ${chartW} ${mid * 2}`}
        width="100%"
        role="img"
        aria-label={t('ui.report.driftLabel')}
        data-testid="drift-chart"
      >
        <line x1={60} x2={chartW} y1={mid} y2={mid} class="zero" />
        <text x={0} y={mid + 4} class="axis">
          {t('ui.report.onPlan')}
        </text>
        <text x={0} y={14} class="axis">
          +{t('ui.report.axisMinutes', { m: max })}
        </text>
        <text x={0} y={mid * 2 - 4} class="axis">
          -{t('ui.report.axisMinutes', { m: max })}
        </text>
        {drift.map((d, i) => {
          const x = 64 + i * (barW + 4);
          const h = Math.abs(sy(d.minutes));
          return (
            <g key={d.id}>
              <title>{t('ui.report.driftTip', { task: d.id, minutes: `${d.minutes > 0 ? '+' : ''}${d.minutes}` })}</title>
              <rect x={x} y={d.minutes > 0 ? mid - h : mid} width={barW} height={Math.max(1, h)} class={d.minutes > 0 ? 'late' : 'early'} />
            </g>
          );
        })}
      </svg>
      <p class="muted">
        {t('ui.report.along', { steps: drift.map((d) => `${d.id} ${d.minutes > 0 ? '+' : ''}${d.minutes}`).join(' → ') })}
      </p>
    </>
  );
}
