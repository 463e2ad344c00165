/**
 * The hospital templates a department's go-live night is built from: the manual work around the
 * automated steps that every EMR cutover repeats (freeze registration, convert the census and the
 * active orders, hold and release the interface queues, print MARs and downtime forms, walk the
 * printers and scanners, physicians sign off the converted orders, back-chart the downtime).
 * Planned minutes are what a mid-sized department takes on a first night; rehearsals re-time them
 * (the report's proposed durations, approved into the stored runbook). Owners are teams, each a
 * rota of the program, so whoever is on call that night owns the task. Clinical tasks take two
 * signatures.
 */
import type { Department } from '../plan';
import { Runbook, type RunbookInput, type RunbookTaskInput, type TaskKind } from '../runbook';

/** The teams that own tasks; each is a rota of the program (`night-<team>` unless mapped otherwise). */
export const Teams = ['command', 'registration', 'interfaces', 'nursing', 'pharmacy', 'physicians', 'desktop'] as const;
export type Team = (typeof Teams)[number];

export interface TaskTemplate {
  id: string;
  kind: TaskKind;
  title: string;
  team: Team;
  plannedMinutes: number;
  /** Tasks of the same night (template ids, or the placeholders `steps` / `steps-done` for the department's adapter steps). */
  after: string[];
  signOff?: 1 | 2;
  /** Only for these kinds of department (absent: every department). */
  forKinds?: Department['kind'][];
}

export interface RunbookTemplate {
  id: string;
  title: string;
  tasks: TaskTemplate[];
}

/** Wards and units that give medications from a MAR and whose physicians write inpatient orders. */
const medicating: Department['kind'][] = ['inpatient', 'icu', 'emergency'];

export const runbookTemplates: RunbookTemplate[] = [
  {
    id: 'freeze-registration',
    title: 'Freeze registration',
    tasks: [
      {
        id: 'night-open',
        kind: 'notification',
        title: 'Night opened: everyone at their post',
        team: 'command',
        plannedMinutes: 0,
        after: [],
      },
      {
        id: 'freeze-registration',
        kind: 'manual',
        title: 'Freeze registration, admissions and transfers in the legacy system',
        team: 'registration',
        plannedMinutes: 15,
        after: ['night-open'],
      },
    ],
  },
  {
    id: 'interface-queues-hold',
    title: 'Hold the interface queues',
    tasks: [
      {
        id: 'hold-queues',
        kind: 'manual',
        title: 'Hold the inbound and outbound interface queues',
        team: 'interfaces',
        plannedMinutes: 10,
        after: ['freeze-registration'],
      },
    ],
  },
  {
    id: 'census-orders',
    title: 'Census and active-order conversion',
    tasks: [
      {
        id: 'extract-census',
        kind: 'manual',
        title: 'Extract the census and the active orders from the legacy system',
        team: 'registration',
        plannedMinutes: 20,
        after: ['freeze-registration'],
      },
      {
        id: 'convert-census',
        kind: 'validation',
        title: 'Census converted: bed by bed against the extract',
        team: 'nursing',
        plannedMinutes: 30,
        after: ['extract-census', 'steps-done'],
        signOff: 2,
      },
      {
        id: 'convert-orders',
        kind: 'manual',
        title: 'Active orders converted and reconciled',
        team: 'pharmacy',
        plannedMinutes: 45,
        after: ['convert-census'],
        signOff: 2,
      },
      {
        id: 'census-converted',
        kind: 'milestone',
        title: 'Census and orders converted',
        team: 'command',
        plannedMinutes: 0,
        after: ['convert-orders'],
      },
    ],
  },
  {
    id: 'interface-queues-release',
    title: 'Release the interface queues',
    tasks: [
      {
        id: 'release-queues',
        kind: 'manual',
        title: 'Release the interface queues to the new system',
        team: 'interfaces',
        plannedMinutes: 20,
        after: ['census-converted'],
      },
      {
        id: 'queues-drained',
        kind: 'validation',
        title: 'Interface queues drained, no message in error',
        team: 'interfaces',
        plannedMinutes: 15,
        after: ['release-queues'],
      },
    ],
  },
  {
    id: 'printing',
    title: 'Print MARs and downtime forms',
    tasks: [
      {
        id: 'print-downtime-forms',
        kind: 'paper',
        title: 'Print the downtime forms for the night',
        team: 'nursing',
        plannedMinutes: 15,
        after: ['freeze-registration'],
      },
      {
        id: 'print-mars',
        kind: 'paper',
        title: 'Print the medication administration records',
        team: 'nursing',
        plannedMinutes: 20,
        after: ['extract-census'],
        signOff: 2,
        forKinds: medicating,
      },
    ],
  },
  {
    id: 'device-walk',
    title: 'Printer and scanner walk',
    tasks: [
      {
        id: 'device-walk',
        kind: 'manual',
        title: 'Walk every label printer, wristband printer and scanner',
        team: 'desktop',
        plannedMinutes: 60,
        after: ['steps-done'],
      },
      {
        id: 'label-test',
        kind: 'validation',
        title: 'Test labels printed and scanned on every device',
        team: 'desktop',
        plannedMinutes: 15,
        after: ['device-walk'],
      },
    ],
  },
  {
    id: 'order-sign-off',
    title: 'Physicians sign off converted orders',
    tasks: [
      {
        id: 'sign-off-orders',
        kind: 'manual',
        title: 'Physicians review and sign off the converted orders',
        team: 'physicians',
        plannedMinutes: 60,
        after: ['queues-drained'],
        signOff: 2,
      },
    ],
  },
  {
    id: 'back-charting',
    title: 'Back-charting',
    tasks: [
      {
        id: 'back-charting',
        kind: 'manual',
        title: 'Back-chart what was recorded on paper during the night',
        team: 'nursing',
        plannedMinutes: 45,
        after: ['sign-off-orders', 'print-downtime-forms'],
        signOff: 2,
      },
    ],
  },
];

/** The night's window of the templates: everyone logged out from 23:30 for 5 h 30 (to 05:00). */
export const TEMPLATE_WINDOW = { start: '23:30', minutes: 330 } as const;

export interface DepartmentRunbookOptions {
  /** Rota names by team (default `night-<team>`). */
  rotas?: Partial<Record<Team, string>>;
  /** The runbook's id (default `night-<department>`). */
  id?: string;
  /** The templates to use, by id (default all). */
  templates?: string[];
}

export const departmentRunbookId = (department: string) => `night-${department}`;
export const teamRota = (team: Team, rotas: DepartmentRunbookOptions['rotas'] = {}) => rotas[team] ?? `night-${team}`;

/**
 * A department's go-live night from the templates: its plan steps become adapter-step tasks in
 * the plan's order, after the interface queues are held and before the census is validated; the
 * tasks a department of its kind does not do are left out, and a predecessor left out is
 * replaced by its own predecessors, so the graph stays whole. Ends with "department live".
 */
export function departmentRunbook(
  department: Pick<Department, 'code' | 'kind' | 'steps'>,
  options: DepartmentRunbookOptions = {},
): Runbook {
  const chosen = runbookTemplates.filter((t) => !options.templates || options.templates.includes(t.id));
  const all = chosen.flatMap((t) => t.tasks);
  const kept = all.filter((t) => !t.forKinds || t.forKinds.includes(department.kind));
  const keptIds = new Set(kept.map((t) => t.id));
  const stepIds = department.steps.map((s) => `step-${s.id}`);
  const stepsDone = stepIds.length > 0 ? [stepIds[stepIds.length - 1]!] : keptIds.has('hold-queues') ? ['hold-queues'] : [];
  const byId = new Map(runbookTemplates.flatMap((t) => t.tasks).map((t) => [t.id, t]));

  /** A predecessor as it stands in this runbook: itself, the steps, or what it followed if left out. */
  const resolve = (id: string, seen = new Set<string>()): string[] => {
    if (id === 'steps' || id === 'steps-done') return stepsDone;
    if (keptIds.has(id)) return [id];
    const t = byId.get(id);
    if (!t || seen.has(id)) return [];
    seen.add(id);
    return t.after.flatMap((p) => resolve(p, seen));
  };
  const unique = (xs: string[]) => [...new Set(xs)];

  const tasks: RunbookTaskInput[] = kept.map((t) => ({
    id: t.id,
    kind: t.kind,
    title: t.title,
    department: department.code,
    owner: { rota: teamRota(t.team, options.rotas) },
    predecessors: unique(t.after.flatMap((p) => resolve(p))),
    plannedMinutes: t.plannedMinutes,
    ...(t.signOff === 2 ? { signOff: 2 as const } : {}),
  }));
  department.steps.forEach((s, i) =>
    tasks.push({
      id: stepIds[i]!,
      kind: 'adapter-step',
      title: `Automated step ${s.id}`,
      department: department.code,
      owner: { rota: teamRota('command', options.rotas) },
      predecessors: i === 0 ? (keptIds.has('hold-queues') ? ['hold-queues'] : []) : [stepIds[i - 1]!],
      plannedMinutes: 5,
      step: s.id,
    }),
  );
  // Whatever nothing else follows leads into the end, so the runbook has exactly one.
  const followed = new Set(tasks.flatMap((t) => t.predecessors ?? []));
  tasks.push({
    id: 'department-live',
    kind: 'milestone',
    title: `${department.code} live on the new system`,
    department: department.code,
    owner: { rota: teamRota('command', options.rotas) },
    predecessors: tasks.filter((t) => !followed.has(t.id)).map((t) => t.id),
    plannedMinutes: 0,
  });
  const input: RunbookInput = {
    id: options.id ?? departmentRunbookId(department.code),
    title: `Go-live night of ${department.code}`,
    window: { ...TEMPLATE_WINDOW },
    tasks,
  };
  return Runbook.parse(input);
}
