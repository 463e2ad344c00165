import type { RunbookTask } from '../../domain/runbook';
import type { RunbookRunView } from '../../domain/runbook-run';

export type { RunbookRunView } from '../../domain/runbook-run';
export type { RunbookReport, TaskReport } from '../../domain/runbook-report';
export type RunTask = RunbookRunView['tasks'][number];

/** Kinds a person checks off (domain/runbook.ts checkedOffKinds; the page imports no runtime code of the workflow's). */
const personKinds: readonly RunbookTask['kind'][] = ['manual', 'validation', 'paper'];

/** Whether this person may check the task off now: the API decides, the page does not offer what it would refuse. */
export function canCheckOff(t: RunTask, person: { personId: string; roles: readonly string[] }): boolean {
  if (!personKinds.includes(t.kind)) return false;
  if (!(t.status === 'ready' || (t.status === 'failed' && t.kind === 'validation'))) return false;
  if (t.signOffs.some((s) => s.personId === person.personId)) return false;
  return t.owners.includes(person.personId) || person.roles.some((r) => r === 'lead' || r === 'admin');
}

/** "23:40" in the hospital's zone (the night is planned on its clocks, not the reader's). */
export function clock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
}

/** Minutes as a person reads them: "45 min", "1 h 05 min". */
export function minutes(m: number): string {
  const a = Math.abs(Math.round(m));
  const text = a < 60 ? `${a} min` : `${Math.floor(a / 60)} h ${String(a % 60).padStart(2, '0')} min`;
  return m < 0 ? `-${text}` : text;
}

/** How the forecast end stands against the window, in words. */
export function windowWords(minutesOver: number): string {
  if (minutesOver > 0) return `${minutes(minutesOver)} over the window`;
  if (minutesOver === 0) return 'ends exactly at the window’s end';
  return `fits, ${minutes(-minutesOver)} to spare`;
}

/** A task's state word for the timeline: its status, or "running" for a started person task, "late" when over. */
export function taskWord(t: RunTask): string {
  if (t.status === 'ready' && t.signOffs.length > 0) return `signed ${t.signOffs.length} of ${t.signOff}`;
  return t.status;
}
