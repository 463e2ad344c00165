import { useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { Badge } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { minutes, type RunbookReport, type RunbookRunView, type TaskReport } from '../components/runbook';
import { Table } from '../components/Table';
import { usePoll } from '../poll';
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
  if (!report) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading the report of {runId}…</p>;
  const titles = new Map(run?.tasks.map((t) => [t.id, t.title]) ?? []);
  const rows = report.tasks.filter((t) =>
    only === 'critical' ? t.onCriticalPath : only === 'proposed' ? t.proposedMinutes !== null : t.actualMinutes !== null || t.runs > 0,
  );
  const proposals = report.tasks.filter((t) => t.proposedMinutes !== null);
  return (
    <section aria-labelledby="report-h" class="runbook-report">
      <p class="crumbs">
        <Link href={`/programs/${programId}/runbooks`}>Runbooks</Link> ›{' '}
        <Link href={`/programs/${programId}/runbooks/${runId}`}>
          <code>{runId}</code>
        </Link>{' '}
        ›
      </p>
      <h2 id="report-h">
        {report.mode === 'rehearsal' ? 'Rehearsal report' : 'Run report'} <code>{report.runId}</code>{' '}
        {report.mode === 'rehearsal' ? <Badge state="rehearsal" label="REHEARSAL" /> : null}
      </h2>
      <dl class="run-facts" data-testid="report-facts">
        <div>
          <dt>Planned</dt>
          <dd>{minutes(report.plannedMinutes)}</dd>
        </div>
        <div>
          <dt>Actual (or forecast)</dt>
          <dd>{minutes(report.actualMinutes)}</dd>
        </div>
        <div class={report.driftMinutes > 0 ? 'bad' : 'ok'}>
          <dt>Drift of the end</dt>
          <dd>
            {report.driftMinutes > 0 ? '+' : ''}
            {minutes(report.driftMinutes)}
          </dd>
        </div>
        <div class={report.fittedWindow ? 'ok' : 'bad'}>
          <dt>Window</dt>
          <dd>{report.fittedWindow ? 'fitted' : 'did not fit'}</dd>
        </div>
        <div>
          <dt>Clock</dt>
          <dd>{report.compressed ? `compressed ${report.speed}× (real minutes shown)` : 'real time'}</dd>
        </div>
        <div>
          <dt>Compared with</dt>
          <dd>{report.earlierRuns.length ? report.earlierRuns.join(', ') : 'no earlier run'}</dd>
        </div>
      </dl>

      <h3>Per task: planned, this run, earlier runs</h3>
      <p class="action-row">
        <label class="inline">
          Show{' '}
          <select
            value={only}
            onChange={(e) => setOnly((e.currentTarget as HTMLSelectElement).value as typeof only)}
            aria-label="Show tasks"
          >
            <option value="all">every timed task</option>
            <option value="critical">the critical path</option>
            <option value="proposed">tasks with a proposal</option>
          </select>
        </label>
      </p>
      <p class="legend muted" aria-hidden="true">
        <span class="key planned" /> planned <span class="key actual" /> this run <span class="key median" /> median{' '}
        <span class="key p90" /> 90th percentile
      </p>
      <div class="chart-scroll">
        <TaskChart rows={rows} titles={titles} />
      </div>

      {run ? <DriftChart run={run} /> : null}

      <h3>Proposed durations</h3>
      <Table
        testid="proposals"
        class="compact auto-width"
        rows={proposals}
        rowKey={(t) => t.id}
        empty="None: every task's 90th percentile is within 5 minutes of its plan."
        columns={[
          { header: 'Task', rowHeader: true, cell: (t) => <code>{t.id}</code> },
          { header: 'Title', cell: (t) => titles.get(t.id) ?? '' },
          { header: 'Planned', class: 'num', cell: (t) => minutes(t.plannedMinutes) },
          { header: 'Median', class: 'num', cell: (t) => (t.medianMinutes === null ? '—' : minutes(t.medianMinutes)) },
          { header: '90th pct.', class: 'num', cell: (t) => (t.p90Minutes === null ? '—' : minutes(t.p90Minutes)) },
          { header: 'Runs', class: 'num', cell: (t) => t.runs },
          { header: 'Proposed', class: 'num', cell: (t) => <strong>{minutes(t.proposedMinutes!)}</strong> },
          { header: 'Critical', cell: (t) => (t.onCriticalPath ? 'yes' : '') },
        ]}
      />
    </section>
  );
}

const rowH = 24;
const labelW = 210;
const chartW = 820;

/** One row per task: the plan as a grey bar, this run as a bar over it, the earlier runs' median and 90th percentile as ticks. */
function TaskChart({ rows, titles }: { rows: TaskReport[]; titles: Map<string, string> }) {
  if (rows.length === 0) return <p class="muted">No task to show.</p>;
  const max = Math.max(5, ...rows.flatMap((t) => [t.plannedMinutes, t.actualMinutes ?? 0, t.p90Minutes ?? 0]));
  const sx = (m: number) => labelW + (m / max) * (chartW - labelW - 60);
  const height = rows.length * rowH + 24;
  return (
    <svg
      class="report-chart"
      viewBox={`0 0 ${chartW} ${height}`}
      width="100%"
      role="img"
      aria-label={`Planned against actual minutes for ${rows.length} tasks`}
      data-testid="task-chart"
    >
      {axis(max).map((m) => (
        <g key={m}>
          <line x1={sx(m)} x2={sx(m)} y1={0} y2={height - 18} class="grid" />
          <text x={sx(m)} y={height - 4} class="axis" text-anchor="middle">
            {m} min
          </text>
        </g>
      ))}
      {rows.map((t, i) => {
        const y = i * rowH;
        const over = t.actualMinutes !== null && t.actualMinutes > t.plannedMinutes + 5;
        return (
          <g key={t.id}>
            <title>
              {`${t.id}: planned ${t.plannedMinutes} min, this run ${t.actualMinutes ?? '—'} min, median ${t.medianMinutes ?? '—'}, p90 ${t.p90Minutes ?? '—'} over ${t.runs} runs`}
            </title>
            <text x={0} y={y + 16} class={`label${t.onCriticalPath ? ' crit' : ''}`}>
              {t.id.length > 16 ? `${t.id.slice(0, 15)}…` : t.id}
              {titles.get(t.id) ? ` ${truncate(titles.get(t.id)!, 14)}` : ''}
            </text>
            <rect x={labelW} y={y + 4} width={Math.max(1, sx(t.plannedMinutes) - labelW)} height={8} class="planned" />
            {t.actualMinutes !== null ? (
              <rect
                x={labelW}
                y={y + 12}
                width={Math.max(1, sx(t.actualMinutes) - labelW)}
                height={8}
                class={over ? 'actual over' : 'actual'}
              />
            ) : null}
            {t.medianMinutes !== null ? (
              <line x1={sx(t.medianMinutes)} x2={sx(t.medianMinutes)} y1={y + 2} y2={y + 22} class="median" />
            ) : null}
            {t.p90Minutes !== null ? <line x1={sx(t.p90Minutes)} x2={sx(t.p90Minutes)} y1={y + 2} y2={y + 22} class="p90" /> : null}
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
function DriftChart({ run }: { run: RunbookRunView }) {
  const times = new Map(run.schedule.tasks.map((t) => [t.id, t]));
  const drift = run.schedule.criticalPath.map((id) => {
    const t = times.get(id)!;
    return { id, minutes: Math.round(((t.forecastFinishMs - t.plannedFinishMs) * run.speed) / MIN) };
  });
  if (drift.length === 0) return null;
  const max = Math.max(5, ...drift.map((d) => Math.abs(d.minutes)));
  const barW = Math.max(8, Math.min(48, (chartW - 80) / drift.length - 4));
  const mid = 90;
  const sy = (m: number) => (m / max) * (mid - 14);
  return (
    <>
      <h3>Critical path drift</h3>
      <svg
        class="report-chart"
        viewBox={`0 0 ${chartW} ${mid * 2}`}
        width="100%"
        role="img"
        aria-label="Drift of each critical task's finish against the plan"
        data-testid="drift-chart"
      >
        <line x1={60} x2={chartW} y1={mid} y2={mid} class="zero" />
        <text x={0} y={mid + 4} class="axis">
          on plan
        </text>
        <text x={0} y={14} class="axis">
          +{max} min
        </text>
        <text x={0} y={mid * 2 - 4} class="axis">
          -{max} min
        </text>
        {drift.map((d, i) => {
          const x = 64 + i * (barW + 4);
          const h = Math.abs(sy(d.minutes));
          return (
            <g key={d.id}>
              <title>{`${d.id}: ${d.minutes > 0 ? '+' : ''}${d.minutes} min against the plan`}</title>
              <rect x={x} y={d.minutes > 0 ? mid - h : mid} width={barW} height={Math.max(1, h)} class={d.minutes > 0 ? 'late' : 'early'} />
            </g>
          );
        })}
      </svg>
      <p class="muted">Along the critical path, {drift.map((d) => `${d.id} ${d.minutes > 0 ? '+' : ''}${d.minutes}`).join(' → ')} min.</p>
    </>
  );
}
