import { describe, expect, it } from 'vitest';
import { validatePlan } from '../../domain/plan';
import { demoPlanWithDomains } from '../../scripts/demo-seed';

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
