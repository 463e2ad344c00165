/**
 * Runbooks: the go-live night as tasks with owners and predecessors. A runbook is data (a template
 * a team keeps, imports from a spreadsheet and re-times after rehearsals); this module holds its
 * schema and the graph rules that make it runnable. The schedule (critical path, slack, forecast)
 * is in runbook-schedule.ts; the live run is workflows/runbook.ts.
 */
import { z } from 'zod';
import { Code, RotaName } from './escalation';
import { PersonId } from './people';

export const TaskKind = z.enum([
  /** A person does it and checks it off. */
  'manual',
  /** A go-live step through a department's adapter: starts itself once its predecessors are done. */
  'adapter-step',
  /** A check a person passes or fails, with evidence (a reference, never content). */
  'validation',
  /** A point in the night (census converted, all printers walked): done when its predecessors are. */
  'milestone',
  /** Tells the task's owner that the night reached this point: done once sent. */
  'notification',
  /** A downtime procedure on paper (print MARs, downtime forms): a person checks it off. */
  'paper',
]);
export type TaskKind = z.infer<typeof TaskKind>;

/** Kinds that only a person can finish; the others finish themselves. */
export const checkedOffKinds: readonly TaskKind[] = ['manual', 'validation', 'paper'];

/** A named person, or whoever a rota has on call when the task becomes ready. */
export const Owner = z.union([z.strictObject({ person: PersonId }), z.strictObject({ rota: RotaName })]);
export type Owner = z.infer<typeof Owner>;

const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)');

/**
 * Words that people read on the command center and the paper packet: a task's name as the team
 * writes it ("Freeze registration"). Template text about work, never about a patient; it is not
 * put into e-mails (they carry the task's code and a link).
 */
const TaskTitle = z
  .string()
  .trim()
  .max(120)
  // A named rule rather than min(1): "\n" is a string of length 1 to a client (and to the OpenAPI
  // document) and blank once trimmed, so the refusal names why (the contract test found it).
  .refine((s) => s.length > 0, { message: 'must not be blank', params: { rule: 'not-blank' } })
  .refine((s) => !/\d{5}/.test(s), {
    message: 'must not hold a run of five or more digits (that looks like a record number)',
    params: { rule: 'looks-like-record-number' },
  });

export const RunbookTask = z.strictObject({
  id: Code,
  kind: TaskKind,
  title: TaskTitle,
  department: Code.optional(),
  owner: Owner,
  predecessors: z.array(Code).max(100).default([]),
  plannedMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60),
  /** Not before this hospital-local time, `day` nights after the night's start date (0: the start date). */
  notBefore: z.strictObject({ day: z.number().int().min(0).max(3), time: Hhmm }).optional(),
  /** Two people sign clinical tasks off (the second a different person). */
  signOff: z.union([z.literal(1), z.literal(2)]).default(1),
  /** For adapter steps: the department's step (from the plan) this task runs. */
  step: Code.optional(),
});
export type RunbookTask = z.output<typeof RunbookTask>;
export type RunbookTaskInput = z.input<typeof RunbookTask>;

/** A task on the critical path that is this late is escalated through the on-call ladder. */
const DEFAULT_LATE_MINUTES = 10;

/** A runbook's own settings (everything but its tasks): a spreadsheet import gives them beside the file. */
export const RunbookSettings = z.strictObject({
  id: Code,
  title: TaskTitle,
  /** The night's window in hospital-local time: from `start`, `minutes` long (e.g. 23:30 for 330). */
  window: z.strictObject({
    start: Hhmm,
    minutes: z
      .number()
      .int()
      .min(1)
      .max(3 * 24 * 60),
  }),
  lateAfterMinutes: z.number().int().min(1).max(240).default(DEFAULT_LATE_MINUTES),
});

export const Runbook = RunbookSettings.extend({ tasks: z.array(RunbookTask).min(1).max(2000) }).superRefine((rb, ctx) => {
  // zod runs this even when a length or pattern check of the tasks failed (those issues do not
  // abort): an empty list is reported by its min(1) alone.
  if (rb.tasks.length === 0) return;
  for (const issue of graphIssues(rb.tasks)) ctx.addIssue({ code: 'custom', ...issue });
});
export type Runbook = z.output<typeof Runbook>;
export type RunbookInput = z.input<typeof Runbook>;

interface GraphIssue {
  path: (string | number)[];
  message: string;
  params: { rule: string };
}

/**
 * What keeps a runbook from running: ids twice, a predecessor that is not a task, a cycle, more
 * than one end (the end is the one task that nothing follows, a milestone; with one end and no
 * cycle every task has a path to it), an adapter step without its step, a self-finishing task
 * that asks for two signatures.
 */
export function graphIssues(tasks: readonly Pick<RunbookTask, 'id' | 'kind' | 'predecessors' | 'step' | 'signOff'>[]): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const index = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (index.has(t.id)) issues.push({ path: ['tasks', i, 'id'], message: `task ${t.id} appears twice`, params: { rule: 'unique-task' } });
    else index.set(t.id, i);
    if (t.kind === 'adapter-step' && !t.step)
      issues.push({ path: ['tasks', i, 'step'], message: 'an adapter step names its step', params: { rule: 'adapter-step-needs-step' } });
    if (t.signOff === 2 && !checkedOffKinds.includes(t.kind))
      issues.push({
        path: ['tasks', i, 'signOff'],
        message: `a ${t.kind} finishes by itself: only tasks people check off take two signatures`,
        params: { rule: 'two-person-needs-person' },
      });
    t.predecessors.forEach((p, j) => {
      if (p === t.id)
        issues.push({ path: ['tasks', i, 'predecessors', j], message: 'a task cannot follow itself', params: { rule: 'no-cycle' } });
    });
  });
  tasks.forEach((t, i) =>
    t.predecessors.forEach((p, j) => {
      if (!index.has(p))
        issues.push({
          path: ['tasks', i, 'predecessors', j],
          message: `no task ${p} in this runbook`,
          params: { rule: 'known-predecessor' },
        });
    }),
  );
  if (issues.length > 0) return issues;

  const cycle = findCycle(tasks);
  if (cycle)
    return [
      {
        path: ['tasks', index.get(cycle[0]!)!, 'predecessors'],
        message: `the tasks ${cycle.join(' -> ')} wait for each other`,
        params: { rule: 'no-cycle' },
      },
    ];
  const followed = new Set(tasks.flatMap((t) => t.predecessors));
  const ends = tasks.filter((t) => !followed.has(t.id));
  if (ends.length > 1)
    issues.push({
      path: ['tasks'],
      message: `one task must end the runbook; nothing follows ${ends
        .slice(0, 10)
        .map((t) => t.id)
        .join(', ')}${ends.length > 10 ? ` and ${ends.length - 10} more` : ''}`,
      params: { rule: 'one-end' },
    });
  else if (ends.length === 1 && ends[0]!.kind !== 'milestone')
    issues.push({
      path: ['tasks', index.get(ends[0]!.id)!, 'kind'],
      message: 'the task that ends the runbook is a milestone',
      params: { rule: 'end-is-milestone' },
    });
  return issues;
}

/** A cycle's task ids in order, or null; iterative so a 2,000-task chain does not overflow the stack. */
function findCycle(tasks: readonly Pick<RunbookTask, 'id' | 'predecessors'>[]): string[] | null {
  const preds = new Map(tasks.map((t) => [t.id, t.predecessors]));
  const state = new Map<string, 'open' | 'done'>();
  for (const root of tasks) {
    if (state.has(root.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    state.set(root.id, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ps = preds.get(top.id)!;
      if (top.next >= ps.length) {
        state.set(top.id, 'done');
        stack.pop();
        continue;
      }
      const p = ps[top.next++]!;
      if (state.get(p) === 'open') {
        const from = stack.findIndex((f) => f.id === p);
        return [...stack.slice(from).map((f) => f.id), p].reverse();
      }
      if (!state.has(p)) {
        state.set(p, 'open');
        stack.push({ id: p, next: 0 });
      }
    }
  }
  return null;
}

/** Task ids in an order where every task comes after its predecessors (Kahn; stable by listing order). */
export function topologicalOrder(tasks: readonly Pick<RunbookTask, 'id' | 'predecessors'>[]): string[] {
  const waiting = new Map(tasks.map((t) => [t.id, new Set(t.predecessors).size]));
  const followers = new Map<string, string[]>();
  for (const t of tasks) for (const p of new Set(t.predecessors)) followers.set(p, [...(followers.get(p) ?? []), t.id]);
  const order: string[] = tasks.filter((t) => waiting.get(t.id) === 0).map((t) => t.id);
  for (let i = 0; i < order.length; i++)
    for (const f of followers.get(order[i]!) ?? []) {
      const left = waiting.get(f)! - 1;
      waiting.set(f, left);
      if (left === 0) order.push(f);
    }
  return order;
}

/** The one task that ends the runbook (a valid runbook has exactly one). */
export const endTask = (rb: Pick<Runbook, 'tasks'>): string => {
  const followed = new Set(rb.tasks.flatMap((t) => t.predecessors));
  return rb.tasks.find((t) => !followed.has(t.id))!.id;
};

/** How a check-off reached golive: the audit says which. */
export const CheckOffChannel = z.enum(['command-center', 'email-link', 'reply', 'paper']);
export type CheckOffChannel = z.infer<typeof CheckOffChannel>;

/** Runs as the night itself, or as a rehearsal that touches no real system and no real recipient. */
export const RunMode = z.enum(['live', 'rehearsal']);
export type RunMode = z.infer<typeof RunMode>;
