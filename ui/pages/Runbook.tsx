import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { post } from '../api';
import { Badge } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { canCheckOff, clock, minutes, taskWord, windowWords, type RunbookRunView, type RunTask } from '../components/runbook';
import { usePoll } from '../poll';
import { ProgramFrame, useProgram } from '../program';
import { useWords } from '../i18n';
import { useNames } from '../people';
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
  const { t, list } = useWords();
  const name = useNames(run?.tasks.flatMap((task) => task.owners) ?? []);
  if (!run) return error ? <ErrorNote error={error} /> : <p aria-busy="true">{t('ui.timeline.loading', { run: runId })}</p>;

  const tz = status.timeZone;
  const s = run.schedule;
  const times = new Map(s.tasks.map((task) => [task.id, task]));
  const from = Math.min(run.startMs, ...s.tasks.map((task) => task.plannedStartMs));
  const to = Math.max(s.windowEndMs, s.forecastEndMs, s.plannedEndMs, run.status === 'running' ? now : 0) + 5 * MIN;
  const x = (ms: number) => `${(((ms - from) / (to - from)) * 100).toFixed(3)}%`;
  const w = (a: number, b: number) => `${Math.max(0.25, ((b - a) / (to - from)) * 100).toFixed(3)}%`;

  const me = session.person;
  const visible = run.tasks.filter((task) =>
    show === 'open'
      ? task.status !== 'done'
      : show === 'critical'
        ? times.get(task.id)?.critical
        : show === 'mine'
          ? task.owners.includes(me.personId)
          : true,
  );
  const byGroup = new Map<string, RunTask[]>();
  for (const task of [...visible].sort((a, b) => (times.get(a.id)?.plannedStartMs ?? 0) - (times.get(b.id)?.plannedStartMs ?? 0))) {
    const g = task.department ?? t('ui.timeline.wholeNight');
    byGroup.set(g, [...(byGroup.get(g) ?? []), task]);
  }
  const done = run.tasks.filter((task) => task.status === 'done').length;
  const late = s.tasks.filter((task) => task.overrunMinutes > 0);
  const ready = run.tasks.filter((task) => task.status === 'ready' || task.status === 'running');
  const ticks = hourTicks(from, to);

  return (
    <section aria-labelledby="runbook-h" class="runbook">
      <p class="crumbs">
        <Link href={`/programs/${programId}/runbooks`}>{t('ui.timeline.crumb')}</Link> ›
      </p>
      <h2 id="runbook-h">
        {t('ui.timeline.title')} <code>{run.runId}</code>{' '}
        {run.mode === 'rehearsal' ? <Badge state="rehearsal" label={t('ui.runbook.rehearsal')} /> : null}{' '}
        <Badge state={run.status === 'finished' ? 'completed' : 'going-live'} label={t(`ui.runs.status.${run.status}`)} />
      </h2>
      {run.mode === 'rehearsal' ? (
        <p class="warn-note">{t('ui.timeline.rehearsalNote', { speed: run.speed > 1 ? run.speed : 'one' })}</p>
      ) : null}
      <dl class="run-facts" data-testid="run-facts">
        <div>
          <dt>{t('ui.timeline.tasks')}</dt>
          <dd>{t('ui.timeline.tasksDone', { done, total: run.tasks.length, ready: ready.length })}</dd>
        </div>
        <div>
          <dt>{t('ui.timeline.window')}</dt>
          <dd>
            {clock(run.startMs, tz)} – {clock(s.windowEndMs, tz)} <small class="muted">{tz}</small>
          </dd>
        </div>
        <div class={s.minutesOverWindow > 0 ? 'bad' : 'ok'} data-testid="forecast-end">
          <dt>{t('ui.timeline.forecastEnd')}</dt>
          <dd>
            {clock(s.forecastEndMs, tz)}: {windowWords(s.minutesOverWindow, t)}
          </dd>
        </div>
        <div>
          <dt>{t('ui.timeline.plannedEnd')}</dt>
          <dd>{clock(s.plannedEndMs, tz)}</dd>
        </div>
        <div class={late.length ? 'bad' : ''}>
          <dt>{t('ui.timeline.late')}</dt>
          <dd>{late.length ? list(late.map((task) => task.id)) : t('ui.timeline.none')}</dd>
        </div>
      </dl>
      <p class="action-row">
        <Link href={`/programs/${programId}/runbooks/${run.runId}/report`} role="button" class="secondary outline">
          {t(run.mode === 'rehearsal' ? 'ui.timeline.rehearsalReport' : 'ui.timeline.runReport')}
        </Link>
        <a href={`${path}/runbook.csv`} role="button" class="secondary outline" download>
          {t('ui.timeline.csv')}
        </a>
        <label class="inline">
          {t('ui.timeline.show')}{' '}
          <select
            value={show}
            onChange={(e) => setShow((e.currentTarget as HTMLSelectElement).value as Show)}
            aria-label={t('ui.timeline.showTasks')}
          >
            {(['all', 'open', 'critical', 'mine'] as const).map((v) => (
              <option key={v} value={v}>
                {t(`ui.timeline.show.${v}`)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="secondary outline" onClick={() => setGroups((g) => ({ open: false, generation: g.generation + 1 }))}>
          {t('ui.timeline.collapse')}
        </button>
        <button type="button" class="secondary outline" onClick={() => setGroups((g) => ({ open: true, generation: g.generation + 1 }))}>
          {t('ui.timeline.expand')}
        </button>
      </p>
      <p class="legend muted" aria-hidden="true">
        {(['planned', 'actual', 'forecast', 'critical', 'now', 'window'] as const).map((k) => (
          <span key={k}>
            <span class={`key ${k}`} /> {t(`ui.timeline.legend.${k}`)}{' '}
          </span>
        ))}
      </p>
      <div class="gantt" data-testid="gantt">
        <div class="gantt-row gantt-axis" aria-hidden="true">
          <div class="gantt-label" />
          <div class="gantt-track">
            {ticks.map((tick) => (
              <span key={tick} class="tick" style={{ left: x(tick) }}>
                {clock(tick, tz)}
              </span>
            ))}
          </div>
          <div class="gantt-act" />
        </div>
        {[...byGroup.entries()].map(([group, tasks]) => (
          <details open={groups.open} key={`${group}/${groups.generation}`} class="gantt-group">
            <GroupSummary group={group} tasks={tasks} times={times} />
            <ol class="gantt-rows">
              {tasks.map((task) => {
                const tt = times.get(task.id)!;
                const isLate = tt.overrunMinutes > 0;
                const actualFrom = task.readyAtMs ?? tt.forecastStartMs;
                const actualTo = task.doneAtMs ?? Math.max(tt.forecastFinishMs, task.readyAtMs !== undefined ? now : 0);
                // The bars in words, for the tooltip and for a screen reader.
                const barWords = t('ui.timeline.bar', {
                  plannedFrom: clock(tt.plannedStartMs, tz),
                  plannedTo: clock(tt.plannedFinishMs, tz),
                  kind: task.status === 'done' ? 'actual' : task.readyAtMs !== undefined ? 'started' : 'forecast',
                  from: clock(actualFrom, tz),
                  to: clock(actualTo, tz),
                });
                const cls = `gantt-row s-${task.status}${tt.critical ? ' critical' : ''}${isLate ? ' late' : ''}`;
                return (
                  <li key={task.id} id={`task-${task.id}`} class={cls} data-testid={`task-${task.id}`} data-status={task.status}>
                    <div class="gantt-label">
                      <code>{task.id}</code> <span class="title">{task.title}</span>
                      <br />
                      <Badge state={task.status} label={taskWord(task, t)} />
                      {tt.critical ? <span class="flag crit"> {t('ui.timeline.critical')}</span> : null}
                      {isLate ? (
                        <span class="flag late"> {t('ui.timeline.lateBy', { duration: minutes(tt.overrunMinutes, t) })}</span>
                      ) : null}
                      {task.escalated ? <span class="flag late"> {t('ui.timeline.escalated')}</span> : null}
                      {!tt.critical && task.status !== 'done' ? (
                        <small class="muted"> {t('ui.timeline.slack', { duration: minutes(tt.slackMs / MIN, t) })}</small>
                      ) : null}
                      {task.status !== 'done' && task.owners.length ? (
                        <small class="muted" title={task.owners.join(', ')}>
                          {' '}
                          · {list(task.owners.map(name))}
                        </small>
                      ) : null}
                    </div>
                    <div class="gantt-track" title={barWords}>
                      <span class="visually-hidden">{barWords}</span>
                      <span class="bar planned" style={{ left: x(tt.plannedStartMs), width: w(tt.plannedStartMs, tt.plannedFinishMs) }} />
                      <span
                        class={`bar ${task.readyAtMs !== undefined ? 'actual' : 'forecast'}`}
                        style={{ left: x(actualFrom), width: w(actualFrom, actualTo) }}
                      />
                      {run.status === 'running' ? <span class="now-line" style={{ left: x(now) }} /> : null}
                      <span class="window-line" style={{ left: x(s.windowEndMs) }} />
                    </div>
                    <div class="gantt-act">
                      {canCheckOff(task, me) ? (
                        <CheckOffButton
                          programId={programId}
                          runId={run.runId}
                          task={task}
                          signatures={task.signOffs.length}
                          onDone={refresh}
                        />
                      ) : null}
                    </div>
                  </li>
                );
              })}
            </ol>
          </details>
        ))}
      </div>
      {visible.length === 0 ? <p class="muted">{t('ui.timeline.noTask')}</p> : null}
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
  const { t } = useWords();
  const count = (f: (task: RunTask) => boolean) => tasks.filter(f).length;
  const ready = count((task) => task.status === 'ready' || task.status === 'running');
  const late = count((task) => (times.get(task.id)?.overrunMinutes ?? 0) > 0);
  const failed = count((task) => task.status === 'failed');
  const critical = count((task) => times.get(task.id)?.critical ?? false);
  return (
    <summary>
      <strong>{group}</strong>{' '}
      <span class="muted">
        {t('ui.timeline.group.done', { done: count((task) => task.status === 'done'), total: tasks.length })}
        {ready ? ` · ${t('ui.timeline.group.ready', { n: ready })}` : ''}
      </span>
      {late ? <span class="flag late"> · {t('ui.timeline.group.late', { n: late })}</span> : null}
      {failed ? <span class="flag crit"> · {t('ui.timeline.group.failed', { n: failed })}</span> : null}
      {critical ? <span class="flag crit"> · {t('ui.timeline.group.critical', { n: critical })}</span> : null}
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
  const { t } = useWords();
  const validation = task.kind === 'validation';
  const first = task.signOff === 2 && signatures === 0;
  return (
    <ConfirmAction
      testId={`check-off-${task.id}`}
      label={t(validation ? 'ui.timeline.recordResult' : 'ui.check.checkOff')}
      title={t('ui.timeline.checkOffTitle', { task: task.id })}
      effect={
        <p>
          {t(first ? 'ui.check.firstOfTwo' : 'ui.timeline.doneEffect')} {t('ui.timeline.recordedHere')}
        </p>
      }
      fields={
        validation
          ? [
              {
                name: 'result',
                label: t('ui.timeline.result'),
                kind: 'select',
                options: [
                  { value: 'pass', label: t('ui.check.passed') },
                  { value: 'fail', label: t('ui.check.failedButton') },
                ],
              },
            ]
          : []
      }
      confirmLabel={t(validation ? 'ui.timeline.recordTheResult' : 'ui.check.confirm')}
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
