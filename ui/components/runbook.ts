import type { RunbookTask } from '../../domain/runbook';
import type { RunbookRunView } from '../../domain/runbook-run';
import type { PageWords } from '../i18n';

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

type T = PageWords['t'];

/** Minutes as a person reads them: "45 min", "1 h 05 min". */
export function minutes(m: number, t: T): string {
  const a = Math.abs(Math.round(m));
  const text =
    a < 60
      ? t('ui.runbook.minutes', { m: a })
      : t('ui.runbook.hoursMinutes', { h: Math.floor(a / 60), m: String(a % 60).padStart(2, '0') });
  return m < 0 ? `-${text}` : text;
}

/** How the forecast end stands against the window, in words. */
export function windowWords(minutesOver: number, t: T): string {
  if (minutesOver > 0) return t('ui.runbook.overWindow', { duration: minutes(minutesOver, t) });
  if (minutesOver === 0) return t('ui.runbook.exactlyWindow');
  return t('ui.runbook.fits', { duration: minutes(-minutesOver, t) });
}

/** A task's state word for the timeline: signatures so far on a two-person task, else its status in words. */
export function taskWord(task: RunTask, t: T): string | undefined {
  if (task.status === 'ready' && task.signOffs.length > 0) return t('ui.runbook.signedOf', { n: task.signOffs.length, of: task.signOff });
  return undefined;
}
