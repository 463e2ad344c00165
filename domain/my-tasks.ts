/**
 * "My tasks": the tasks of a run that wait for one person. Pure: the API lists them across the
 * running runs, the command center shows them (ui/pages/MyTasks.tsx).
 */
import { checkedOffKinds } from './runbook';
import type { RunbookRunView } from './runbook-run';

export interface MyTask {
  programId: string;
  runId: string;
  mode: RunbookRunView['mode'];
  taskId: string;
  title: string;
  kind: RunbookRunView['tasks'][number]['kind'];
  department?: string;
  status: 'ready' | 'failed';
  readyAtMs?: number;
  /** When it should be done by the plan's duration from its start (forecast). */
  dueMs: number;
  critical: boolean;
  signOff: 1 | 2;
  signatures: number;
}

/**
 * The tasks of a run that wait for this person: ready (or a failed validation, validated again),
 * a kind people check off, owned by them, and not yet signed by them.
 */
export function tasksWaitingFor(view: RunbookRunView, personId: string): MyTask[] {
  const times = new Map(view.schedule.tasks.map((t) => [t.id, t]));
  return view.tasks
    .filter(
      (t) =>
        (t.status === 'ready' || (t.status === 'failed' && t.kind === 'validation')) &&
        checkedOffKinds.includes(t.kind) &&
        t.owners.includes(personId) &&
        !t.signOffs.some((s) => s.personId === personId),
    )
    .map((t) => ({
      programId: view.programId,
      runId: view.runId,
      mode: view.mode,
      taskId: t.id,
      title: t.title,
      kind: t.kind,
      department: t.department,
      status: t.status as 'ready' | 'failed',
      readyAtMs: t.readyAtMs,
      dueMs: times.get(t.id)?.forecastFinishMs ?? 0,
      critical: times.get(t.id)?.critical ?? false,
      signOff: t.signOff,
      signatures: t.signOffs.length,
    }));
}
