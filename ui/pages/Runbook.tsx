import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { post } from '../api';
import { Badge } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { canCheckOff, clock, minutes, taskWord, windowWords, type RunbookRunView, type RunTask } from '../components/runbook';
import { usePoll } from '../poll';
import { ProgramFrame, useProgram } from '../program';
import { useSession } from '../session';

const MIN = 60_000;

export function RunbookPage({ programId, runId }: { programId: string; runId: string }) {
  return (
    <ProgramFrame programId={programId} active="runbooks">
      <RunbookTimeline programId={programId} runId={runId} />
    </ProgramFrame>
  );
}

type Show = 'all' | 'open' | 'critical' | 'mine';

/**
 * A run's night on one page: a bar per task, planned (thin) against actual or forecast (thick),
 * on the hospital's clock; the critical path, the now line, late tasks; the forecast end against
 * the window; and check-off for what the reader may check off. Grouped by department, so a night
 * of 200 tasks reads as a dozen short lists; a filter narrows it to what needs eyes.
 */
function RunbookTimeline({ programId, runId }: { programId: string; runId: string }) {
  const path = `/v1/programs/${encodeURIComponent(programId)}/runbook-runs/${encodeURIComponent(runId)}`;
  const { data: run, error, refresh } = usePoll<RunbookRunView>(path);
  const { status } = useProgram();
  const [show, setShow] = useState<Show>('all');
  // Expand all / collapse all: a new generation re-mounts the groups in that state (each then toggles on its own).
  const [groups, setGroups] = useState({ open: true, generation: 0 });
  const session = useSession();
  const now = useNow(10_000);
  if (!run) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading runbook run {runId}…</p>;

  const tz = status.timeZone;
  const s = run.schedule;
  const times = new Map(s.tasks.map((t) => [t.id, t]));
  const from = Math.min(run.startMs, ...s.tasks.map((t) => t.plannedStartMs));
  const to = Math.max(s.windowEndMs, s.forecastEndMs, s.plannedEndMs, run.status === 'running' ? now : 0) + 5 * MIN;
  const x = (ms: number) => `${(((ms - from) / (to - from)) * 100).toFixed(3)}%`;
  const w = (a: number, b: number) => `${Math.max(0.25, ((b - a) / (to - from)) * 100).toFixed(3)}%`;

  const me = session.person;
  const visible = run.tasks.filter((t) =>
    show === 'open'
      ? t.status !== 'done'
      : show === 'critical'
        ? times.get(t.id)?.critical
        : show === 'mine'
          ? t.owners.includes(me.personId)
          : true,
  );
  const byGroup = new Map<string, RunTask[]>();
  for (const t of [...visible].sort((a, b) => (times.get(a.id)?.plannedStartMs ?? 0) - (times.get(b.id)?.plannedStartMs ?? 0))) {
    const g = t.department ?? 'Whole night';
    byGroup.set(g, [...(byGroup.get(g) ?? []), t]);
  }
  const done = run.tasks.filter((t) => t.status === 'done').length;
  const late = s.tasks.filter((t) => t.overrunMinutes > 0);
  const ready = run.tasks.filter((t) => t.status === 'ready' || t.status === 'running');
  const ticks = hourTicks(from, to);

  return (
    <section aria-labelledby="runbook-h" class="runbook">
      <p class="crumbs">
        <Link href={`/programs/${programId}/runbooks`}>Runbooks</Link> ›
      </p>
      <h2 id="runbook-h">
        Runbook run <code>{run.runId}</code> {run.mode === 'rehearsal' ? <Badge state="rehearsal" label="REHEARSAL" /> : null}{' '}
        <Badge state={run.status === 'finished' ? 'completed' : 'going-live'} label={run.status} />
      </h2>
      {run.mode === 'rehearsal' ? (
        <p class="warn-note">
          A rehearsal: adapters dry-run, e-mails go to the rehearsal&apos;s own list only
          {run.speed > 1 ? `; compressed ${run.speed}× (clock times below are the rehearsal's, minutes in the report are real)` : ''}.
        </p>
      ) : null}
      <dl class="run-facts" data-testid="run-facts">
        <div>
          <dt>Tasks</dt>
          <dd>
            {done} of {run.tasks.length} done · {ready.length} in progress
          </dd>
        </div>
        <div>
          <dt>Window</dt>
          <dd>
            {clock(run.startMs, tz)} – {clock(s.windowEndMs, tz)} <small class="muted">{tz}</small>
          </dd>
        </div>
        <div class={s.minutesOverWindow > 0 ? 'bad' : 'ok'} data-testid="forecast-end">
          <dt>Forecast end</dt>
          <dd>
            {clock(s.forecastEndMs, tz)}: {windowWords(s.minutesOverWindow)}
          </dd>
        </div>
        <div>
          <dt>Planned end</dt>
          <dd>{clock(s.plannedEndMs, tz)}</dd>
        </div>
        <div class={late.length ? 'bad' : ''}>
          <dt>Late</dt>
          <dd>{late.length ? late.map((t) => t.id).join(', ') : 'none'}</dd>
        </div>
      </dl>
      <p class="action-row">
        <Link href={`/programs/${programId}/runbooks/${run.runId}/report`} role="button" class="secondary outline">
          {run.mode === 'rehearsal' ? 'Rehearsal report' : 'Run report'}
        </Link>
        <a href={`${path}/runbook.csv`} role="button" class="secondary outline" download>
          Runbook as CSV
        </a>
        <label class="inline">
          Show{' '}
          <select value={show} onChange={(e) => setShow((e.currentTarget as HTMLSelectElement).value as Show)} aria-label="Show tasks">
            <option value="all">every task</option>
            <option value="open">tasks not done</option>
            <option value="critical">the critical path</option>
            <option value="mine">my tasks</option>
          </select>
        </label>
        <button type="button" class="secondary outline" onClick={() => setGroups((g) => ({ open: false, generation: g.generation + 1 }))}>
          Collapse all
        </button>
        <button type="button" class="secondary outline" onClick={() => setGroups((g) => ({ open: true, generation: g.generation + 1 }))}>
          Expand all
        </button>
      </p>
      <p class="legend muted" aria-hidden="true">
        <span class="key planned" /> planned <span class="key actual" /> actual <span class="key forecast" /> forecast{' '}
        <span class="key critical" /> critical path <span class="key now" /> now <span class="key window" /> window end
      </p>
      <div class="gantt" data-testid="gantt">
        <div class="gantt-row gantt-axis" aria-hidden="true">
          <div class="gantt-label" />
          <div class="gantt-track">
            {ticks.map((t) => (
              <span key={t} class="tick" style={{ left: x(t) }}>
                {clock(t, tz)}
              </span>
            ))}
          </div>
          <div class="gantt-act" />
        </div>
        {[...byGroup.entries()].map(([group, tasks]) => (
          <details open={groups.open} key={`${group}/${groups.generation}`} class="gantt-group">
            <GroupSummary group={group} tasks={tasks} times={times} />
            <ol class="gantt-rows">
              {tasks.map((t) => {
                const tt = times.get(t.id)!;
                const isLate = tt.overrunMinutes > 0;
                const actualFrom = t.readyAtMs ?? tt.forecastStartMs;
                const actualTo = t.doneAtMs ?? Math.max(tt.forecastFinishMs, t.readyAtMs !== undefined ? now : 0);
                // The bars in words, for the tooltip and for a screen reader.
                const barWords = `planned ${clock(tt.plannedStartMs, tz)}–${clock(tt.plannedFinishMs, tz)}; ${
                  t.status === 'done' ? 'actual' : t.readyAtMs !== undefined ? 'started, forecast' : 'forecast'
                } ${clock(actualFrom, tz)}–${clock(actualTo, tz)}`;
                const cls = `gantt-row s-${t.status}${tt.critical ? ' critical' : ''}${isLate ? ' late' : ''}`;
                return (
                  <li key={t.id} id={`task-${t.id}`} class={cls} data-testid={`task-${t.id}`} data-status={t.status}>
                    <div class="gantt-label">
                      <code>{t.id}</code> <span class="title">{t.title}</span>
                      <br />
                      <Badge state={t.status} label={taskWord(t)} />
                      {tt.critical ? <span class="flag crit"> critical</span> : null}
                      {isLate ? <span class="flag late"> late {minutes(tt.overrunMinutes)}</span> : null}
                      {t.escalated ? <span class="flag late"> escalated</span> : null}
                      {!tt.critical && t.status !== 'done' ? <small class="muted"> slack {minutes(tt.slackMs / MIN)}</small> : null}
                      {t.status !== 'done' && t.owners.length ? <small class="muted"> · {t.owners.join(', ')}</small> : null}
                    </div>
                    <div class="gantt-track" title={barWords}>
                      <span class="visually-hidden">{barWords}</span>
                      <span class="bar planned" style={{ left: x(tt.plannedStartMs), width: w(tt.plannedStartMs, tt.plannedFinishMs) }} />
                      <span
                        class={`bar ${t.readyAtMs !== undefined ? 'actual' : 'forecast'}`}
                        style={{ left: x(actualFrom), width: w(actualFrom, actualTo) }}
                      />
                      {run.status === 'running' ? <span class="now-line" style={{ left: x(now) }} /> : null}
                      <span class="window-line" style={{ left: x(s.windowEndMs) }} />
                    </div>
                    <div class="gantt-act">
                      {canCheckOff(t, me) ? (
                        <CheckOffButton programId={programId} runId={run.runId} task={t} signatures={t.signOffs.length} onDone={refresh} />
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ol>
          </details>
        ))}
      </div>
      {visible.length === 0 ? <p class="muted">No task to show with this filter.</p> : null}
    </section>
  );
}

/** Axis ticks at whole steps of 5, 15, 30 minutes or 1, 2, 3 hours: a dozen at most, for a compressed rehearsal as for a long night. */
function hourTicks(from: number, to: number): number[] {
  const step = [5, 15, 30, 60, 120, 180].map((m) => m * MIN).find((st) => (to - from) / st <= 12) ?? 360 * MIN;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}

/**
 * The clock, re-read every `everyMs`: an unchanged run answers 304 and renders nothing, yet the
 * now line must move through a quiet hour.
 */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** A department's line when its tasks are folded away: what is done, ready, late, critical in it. */
function GroupSummary({
  group,
  tasks,
  times,
}: {
  group: string;
  tasks: RunTask[];
  times: Map<string, RunbookRunView['schedule']['tasks'][number]>;
}) {
  const count = (f: (t: RunTask) => boolean) => tasks.filter(f).length;
  const ready = count((t) => t.status === 'ready' || t.status === 'running');
  const late = count((t) => (times.get(t.id)?.overrunMinutes ?? 0) > 0);
  const failed = count((t) => t.status === 'failed');
  const critical = count((t) => times.get(t.id)?.critical ?? false);
  return (
    <summary>
      <strong>{group}</strong>{' '}
      <span class="muted">
        {count((t) => t.status === 'done')} of {tasks.length} done
        {ready ? ` · ${ready} in progress` : ''}
      </span>
      {late ? <span class="flag late"> · {late} late</span> : null}
      {failed ? <span class="flag crit"> · {failed} failed</span> : null}
      {critical ? <span class="flag crit"> · {critical} on the critical path</span> : null}
    </summary>
  );
}

export function CheckOffButton({
  programId,
  runId,
  task,
  signatures,
  onDone,
}: {
  programId: string;
  runId: string;
  task: Pick<RunTask, 'id' | 'kind' | 'signOff'>;
  /** Signatures the task has so far. */
  signatures: number;
  onDone: () => void;
}) {
  const validation = task.kind === 'validation';
  const first = task.signOff === 2 && signatures === 0;
  return (
    <ConfirmAction
      testId={`check-off-${task.id}`}
      label={validation ? 'Record result' : 'Check off'}
      title={`Check off task ${task.id}?`}
      effect={
        <p>
          {first
            ? 'Your signature is the first of two: the task is done when a second person signs.'
            : 'The task is done: the tasks after it start, and the timeline moves.'}{' '}
          Recorded under your name, now, from the command center.
        </p>
      }
      fields={
        validation
          ? [
              {
                name: 'result',
                label: 'Result',
                kind: 'select',
                options: [
                  { value: 'pass', label: 'Passed' },
                  { value: 'fail', label: 'Failed' },
                ],
              },
            ]
          : []
      }
      confirmLabel={validation ? 'Record the result' : 'Check off: done'}
      run={(v, key) =>
        post(
          `/v1/programs/${encodeURIComponent(programId)}/runbook-runs/${encodeURIComponent(runId)}/tasks/${encodeURIComponent(task.id)}/check-offs`,
          { channel: 'command-center', ...(validation ? { result: v.result } : {}) },
          key,
        )
      }
      onDone={onDone}
    />
  );
}
