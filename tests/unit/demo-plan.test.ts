import { describe, expect, it } from 'vitest';
import { parsePlan, validatePlan } from '../../domain/plan';
import type { RunbookRunView } from '../../domain/runbook-run';
import { departmentRunbook, teamRota, Teams } from '../../domain/runbook-templates';
import { dueAt, LIVE_SECONDS_PER_TASK } from '../../scripts/demo-hospital/night-crew';
import { renderMail } from '../../activities/mail/render';
import { MailMessage } from '../../activities/mail/templates';
import { DEMO_REHEARSAL_SPEED, demoNightCrew, demoPeople, demoPlanWithDomains } from '../../scripts/demo-seed';

describe('the demo plan the stack loads', () => {
  it("is valid, with 23 departments in 4 waves and the demo hospital's five comparison domains", () => {
    const result = validatePlan(demoPlanWithDomains());
    expect(result.ok ? [] : result.issues).toEqual([]);
    if (!result.ok) return;
    expect(result.plan.departments).toHaveLength(23);
    expect(result.plan.waves).toHaveLength(4);
    expect(result.plan.parallelRun.domains!.map((d) => [d.name, d.legacy.kind === 'postgres' && d.legacy.connection.urlEnv])).toEqual([
      ['registrations', 'DEMO_LEGACY_DB_URL'],
      ['orders', 'DEMO_LEGACY_DB_URL'],
      ['charges', 'DEMO_LEGACY_DB_URL'],
      ['lab_results', 'DEMO_LEGACY_DB_URL'],
      ['dispensing', 'DEMO_LEGACY_DB_URL'],
    ]);
  });
});

describe("the demo's languages", () => {
  it('a Chinese hospital with people of both languages: one gate e-mail to leadership goes out in Chinese and in English', () => {
    const plan = parsePlan(demoPlanWithDomains());
    expect(plan.hospital.locale).toBe('zh-CN');
    const leadership = demoPeople.filter((p) => p.roles.includes('leadership'));
    // As app/locale.ts reads it: the person's own language, else the hospital's.
    const locales = leadership.map((p) => p.locale ?? plan.hospital.locale!);
    expect(new Set(locales)).toEqual(new Set(['zh-CN', 'en']));
    const message = MailMessage.parse({
      template: 'gate-opened',
      gateId: 'readiness',
      gateKind: 'readiness',
      programId: plan.programId,
      departments: ['IM-OPD', 'LAB'],
      since: '2026-03-02T01:00:00.000Z',
      deadline: '2026-03-03T01:00:00.000Z',
      timeZone: plan.hospital.timeZone,
      criteriaMet: 5,
      criteriaTotal: 6,
    });
    const subjects = locales.map((locale) => renderMail(message, { baseUrl: 'http://localhost:3000', locale }).subject);
    expect(subjects).toContain(`【golive】${plan.programId}：上线准入评审等待您的决策`);
    expect(subjects).toContain(`[golive] ${plan.programId}: the readiness gate awaits your decision`);
  });
});

describe("the demo's pilot nights", () => {
  it('each pilot department names its runbook, the readiness gate requires a rehearsal of each, and the templates build them from the plan', () => {
    const plan = parsePlan(demoPlanWithDomains());
    const pilot = plan.waves[0]!.departments.map((c) => plan.departments.find((d) => d.code === c)!);
    expect(pilot.map((d) => [d.code, d.runbook])).toEqual([
      ['IM-OPD', 'night-IM-OPD'],
      ['LAB', 'night-LAB'],
    ]);
    expect(plan.gates.readiness.criteria.filter((c) => c.id === 'rehearsal')).toEqual([
      { id: 'rehearsal', runbookId: 'night-IM-OPD', withinDays: 14 },
      { id: 'rehearsal', runbookId: 'night-LAB', withinDays: 14 },
    ]);
    for (const d of pilot) {
      const rb = departmentRunbook(d, { id: d.runbook });
      // Every adapter step is a step of the department in the plan (what starting a run checks).
      expect(rb.tasks.filter((t) => t.kind === 'adapter-step').map((t) => t.step)).toEqual(d.steps.map((s) => s.id));
      // Every rota the runbook names is one the seed puts, with people of the directory.
      for (const t of rb.tasks) if ('rota' in t.owner) expect(Teams.map((team) => teamRota(team))).toContain(t.owner.rota);
    }
    for (const team of Teams.filter((t) => t !== 'command')) expect(demoNightCrew.some((p) => p.team === team)).toBe(true);
  });

  it("the night crew takes a rehearsal task's planned minutes on the compressed clock (some faster, some slower), a live one in seconds", () => {
    const task = (id: string, plannedMinutes: number, extra: Partial<RunbookRunView['tasks'][number]> = {}) =>
      ({
        id,
        kind: 'manual',
        plannedMinutes,
        status: 'ready',
        readyAtMs: 1_000_000,
        signOffs: [],
        ...extra,
      }) as RunbookRunView['tasks'][number];
    const rehearsal = { mode: 'rehearsal' as const, speed: DEMO_REHEARSAL_SPEED };
    expect(dueAt(rehearsal, task('freeze-registration', 15))).toBe(1_000_000 + 7_500);
    expect(dueAt(rehearsal, task('convert-orders', 45))).toBe(1_000_000 + Math.round((45 * 1.45 * 60_000) / 120));
    expect(dueAt({ mode: 'live', speed: 1 }, task('convert-orders', 45))).toBe(1_000_000 + LIVE_SECONDS_PER_TASK * 1000);
    // Not theirs: waiting, done, or a task that finishes by itself.
    expect(dueAt(rehearsal, task('a', 5, { status: 'waiting' }))).toBeNull();
    expect(dueAt(rehearsal, task('a', 5, { status: 'done' }))).toBeNull();
    expect(dueAt(rehearsal, task('a', 5, { kind: 'adapter-step' }))).toBeNull();
  });
});
