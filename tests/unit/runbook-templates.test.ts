import { describe, expect, it } from 'vitest';
import { demoPlan } from '../../domain/demo-plans';
import { parsePlan } from '../../domain/plan';
import { graphIssues } from '../../domain/runbook';
import { schedule } from '../../domain/runbook-schedule';
import { departmentRunbook, runbookTemplates } from '../../domain/runbook-templates';

const plan = parsePlan(demoPlan());
const dept = (code: string) => plan.departments.find((d) => d.code === code)!;

describe('runbook templates', () => {
  it("build a department's night: its adapter steps as tasks in the plan's order, clinical tasks two-person, owners by rota, 23:30 for 330 minutes", () => {
    const rb = departmentRunbook(dept('LAB'));
    expect(rb).toMatchObject({ id: 'night-LAB', window: { start: '23:30', minutes: 330 } });
    expect(graphIssues(rb.tasks)).toEqual([]);
    const steps = rb.tasks.filter((t) => t.kind === 'adapter-step');
    expect(steps.map((t) => [t.id, t.step, t.predecessors])).toEqual([
      ['step-grant-access', 'grant-access', ['hold-queues']],
      ['step-route-interfaces', 'route-interfaces', ['step-grant-access']],
      ['step-switch-analyzer-feed', 'switch-analyzer-feed', ['step-route-interfaces']],
    ]);
    expect(rb.tasks.find((t) => t.id === 'convert-census')).toMatchObject({
      kind: 'validation',
      signOff: 2,
      owner: { rota: 'night-nursing' },
      predecessors: ['extract-census', 'step-switch-analyzer-feed'],
    });
    for (const id of ['convert-orders', 'sign-off-orders', 'back-charting']) expect(rb.tasks.find((t) => t.id === id)?.signOff).toBe(2);
    expect(rb.tasks.every((t) => t.department === 'LAB' && 'rota' in t.owner)).toBe(true);
    // Every template's work is in, bar what a laboratory does not do (no MARs printed there).
    expect(rb.tasks.map((t) => t.id)).not.toContain('print-mars');
    for (const id of ['freeze-registration', 'hold-queues', 'release-queues', 'print-downtime-forms', 'device-walk', 'back-charting'])
      expect(rb.tasks.map((t) => t.id)).toContain(id);
    expect(rb.tasks.at(-1)).toMatchObject({ id: 'department-live', kind: 'milestone' });
  });

  it("fits the window as planned, with the ward's MARs, and maps teams to the program's rotas", () => {
    const ward = { code: 'CARD-IP', kind: 'inpatient' as const, steps: dept('CARD-IP').steps };
    const rb = departmentRunbook(ward, { rotas: { nursing: 'ward-nurses' }, id: 'cardio' });
    expect(rb.id).toBe('cardio');
    expect(rb.tasks.find((t) => t.id === 'print-mars')).toMatchObject({ kind: 'paper', signOff: 2, owner: { rota: 'ward-nurses' } });
    expect(rb.tasks.find((t) => t.id === 'freeze-registration')?.owner).toEqual({ rota: 'night-registration' });
    const s = schedule({ runbook: rb, startMs: 0, notBefore: {}, progress: {}, nowMs: 0, speed: 1 });
    expect(s.minutesOverWindow).toBeLessThanOrEqual(0);
    expect(s.plannedEndMs / 60_000).toBeGreaterThan(200);
  });

  it('a department without steps, or a choice of templates, still makes one runnable night', () => {
    const outpatient = { code: 'IM-OPD', kind: 'outpatient' as const, steps: [] };
    const rb = departmentRunbook(outpatient);
    expect(graphIssues(rb.tasks)).toEqual([]);
    expect(rb.tasks.find((t) => t.id === 'convert-census')?.predecessors).toEqual(['extract-census', 'hold-queues']);
    const small = departmentRunbook(dept('LAB'), { templates: ['freeze-registration', 'back-charting'] });
    expect(graphIssues(small.tasks)).toEqual([]);
    // back-charting's own predecessors were left out: it follows what they followed.
    expect(small.tasks.find((t) => t.id === 'back-charting')?.predecessors).toEqual(['freeze-registration', 'step-switch-analyzer-feed']);
    expect(runbookTemplates.map((t) => t.id)).toEqual([
      'freeze-registration',
      'interface-queues-hold',
      'census-orders',
      'interface-queues-release',
      'printing',
      'device-walk',
      'order-sign-off',
      'back-charting',
    ]);
  });
});
