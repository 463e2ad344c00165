/**
 * The demo hospital's night crew: people on the floor checking runbook tasks off, through the API
 * as the command center would (a lead checks off for the team on the floor; a two-person task's
 * second signature is another lead's). On a rehearsal each task takes its planned minutes on the
 * rehearsal's compressed clock, stretched or shrunk by a fixed factor per task, so the report has
 * something to say (the order conversion overruns and is proposed longer, the printer walk is
 * quicker than planned). On a live night the crew is quick: a few seconds per task, so the demo's
 * pilot goes live within a minute or so of its wave starting.
 */
import type { RunbookRunView } from '../../domain/runbook-run';

/** Real minutes a task takes at rehearsal, as a share of its plan (absent: as planned). */
export const REHEARSAL_PACE: Record<string, number> = {
  'convert-orders': 1.45,
  'device-walk': 0.75,
  'extract-census': 1.25,
  'sign-off-orders': 0.9,
};

/** Seconds the crew takes per task on a live night. */
export const LIVE_SECONDS_PER_TASK = 3;

export interface NightCrewOptions {
  apiUrl: string;
  programId: string;
  /** Bearer tokens of two different leads: the first signs, the second countersigns two-person tasks. */
  signers: [string, string];
  /** The runs to work besides the departments' live nights (the seed's rehearsals). */
  runs: () => Promise<string[]>;
  everyMs?: number;
  onError?: (err: unknown) => void;
}

const SIGNABLE = ['manual', 'validation', 'paper'];

/** When the crew checks this task off (ms since the epoch), or null: not theirs to do yet. */
export function dueAt(run: Pick<RunbookRunView, 'mode' | 'speed'>, task: RunbookRunView['tasks'][number]): number | null {
  if (task.status !== 'ready' || !SIGNABLE.includes(task.kind) || task.readyAtMs === undefined) return null;
  if (run.mode === 'live') return task.readyAtMs + LIVE_SECONDS_PER_TASK * 1000;
  const minutes = task.plannedMinutes * (REHEARSAL_PACE[task.id] ?? 1);
  return task.readyAtMs + Math.round((minutes * 60_000) / run.speed);
}

export function runNightCrew(o: NightCrewOptions): { stop(): Promise<void> } {
  let stopped = false;
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${o.apiUrl}/v1/programs/${o.programId}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json().catch(() => undefined)) as unknown };
  };
  const finished = new Set<string>();

  async function tick() {
    const status = (await call(o.signers[0], 'GET', '')).json as { departments?: { runbook?: { runId: string; status: string } }[] };
    const live = (status.departments ?? []).flatMap((d) => (d.runbook?.status === 'running' ? [d.runbook.runId] : []));
    for (const runId of [...(await o.runs()), ...live]) {
      if (finished.has(runId) || stopped) continue;
      const read = await call(o.signers[0], 'GET', `/runbook-runs/${runId}`);
      if (read.status === 404) continue;
      const run = read.json as RunbookRunView;
      if (run.status === 'finished') {
        finished.add(runId);
        continue;
      }
      const now = Date.now();
      for (const task of run.tasks) {
        const due = dueAt(run, task);
        if (due === null || due > now) continue;
        const signed = task.signOffs.length;
        const body = task.kind === 'validation' ? { result: 'pass', evidence: `DEMO-CHECK-${task.id}`.slice(0, 64) } : {};
        // 409: someone (a visitor in the command center) was quicker; the next look sees it.
        await call(o.signers[signed === 0 ? 0 : 1], 'POST', `/runbook-runs/${runId}/tasks/${task.id}/check-offs`, body);
      }
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await tick().catch((err: unknown) => o.onError?.(err));
      await new Promise((r) => setTimeout(r, o.everyMs ?? 1000));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
