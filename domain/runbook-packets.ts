/**
 * A runbook that works on paper: when a run starts, each owner gets a packet of their tasks (and
 * the command center the whole night) to print, tick and sign if the systems go down. Owners named
 * by rota are whoever the rota has on call at the run's start, and the packet says so: the person
 * on call when the task becomes ready may be someone else. Pure; the activity stores the packets
 * (app/runbook-packets.ts) and the API renders them.
 */
import { checkedOffKinds, type RunbookTask, type RunMode } from './runbook';
import { ownersAt, type RunbookRunInput } from './runbook-run';
import { schedule } from './runbook-schedule';

/** The packet of the whole night, for the command center's own printed copy. */
export const wholeNight = '_night';

export interface PacketTask {
  id: string;
  title: string;
  kind: RunbookTask['kind'];
  department?: string;
  plannedStartMs: number;
  plannedFinishMs: number;
  predecessors: string[];
  /** 1 or 2 signature lines. */
  signOff: 1 | 2;
  /** Tick box and signature lines: a task a person checks off (the others finish by themselves). */
  checkedOff: boolean;
  /** Who owns it at the run's start (several when a rota has several on call; none when nobody is). */
  owners: string[];
  /** The rota it was resolved through, when the runbook names a rota. */
  rota?: string;
}

export interface RunbookPacket {
  programId: string;
  runId: string;
  runbookId: string;
  runbookTitle: string;
  mode: RunMode;
  timeZone: string;
  /** The instant the owners (rotas) were resolved: the run's start. */
  resolvedAtMs: number;
  windowStartMs: number;
  windowEndMs: number;
  /** A person's id, or `_night` (no person id starts with _) for the whole night. */
  owner: string;
  tasks: PacketTask[];
}

/**
 * The packets of a run that starts at `startMs`: one per person who owns a task then, and the
 * whole night. Tasks in the order they can be done (the runbook's order of work).
 */
export function runbookPackets(
  input: Pick<RunbookRunInput, 'programId' | 'runId' | 'mode' | 'runbook' | 'rotas' | 'timeZone'>,
  startMs: number,
  notBefore: Record<string, number>,
  speed = 1,
): RunbookPacket[] {
  const { runbook } = input;
  const plan = schedule({ runbook, startMs, notBefore, progress: {}, nowMs: startMs, speed });
  const times = new Map(plan.tasks.map((t) => [t.id, t]));
  const tasks: PacketTask[] = runbook.tasks
    .map((t) => ({
      id: t.id,
      title: t.title,
      kind: t.kind,
      ...(t.department ? { department: t.department } : {}),
      plannedStartMs: times.get(t.id)!.plannedStartMs,
      plannedFinishMs: times.get(t.id)!.plannedFinishMs,
      predecessors: [...t.predecessors],
      signOff: t.signOff,
      checkedOff: checkedOffKinds.includes(t.kind),
      owners: ownersAt(t, input.rotas, startMs),
      ...('rota' in t.owner ? { rota: t.owner.rota } : {}),
    }))
    .sort((a, b) => a.plannedStartMs - b.plannedStartMs || a.plannedFinishMs - b.plannedFinishMs);
  const base = {
    programId: input.programId,
    runId: input.runId,
    runbookId: runbook.id,
    runbookTitle: runbook.title,
    mode: input.mode,
    timeZone: input.timeZone,
    resolvedAtMs: startMs,
    windowStartMs: startMs,
    windowEndMs: plan.windowEndMs,
  };
  const people = [...new Set(tasks.flatMap((t) => t.owners))].sort();
  return [
    { ...base, owner: wholeNight, tasks },
    ...people.map((owner) => ({ ...base, owner, tasks: tasks.filter((t) => t.owners.includes(owner)) })),
  ];
}
