import { describe, expect, it } from 'vitest';
import { criteriaPassed, evaluateCriteria, Evidence, type CriterionResult } from '../../domain/rules/criteria';
import { DEFAULT_READINESS_CRITERIA, planIssues, type Criterion } from '../../domain/plan';

const now = Date.parse('2026-03-10T09:00:00+08:00');
const HOUR = 3_600_000;
const ctx = { nowMs: now, departments: ['IM-OPD', 'LAB'] };

const verdicts = (results: CriterionResult[]) => Object.fromEntries(results.map((r) => [r.id, r.verdict]));

const goodEvidence = (): Evidence => ({
  uat: { severeTotal: 12, severeFixed: 12, ordinaryTotal: 200, ordinaryFixed: 190 },
  training: { 'IM-OPD': { examined: 40, passed: 38 }, LAB: { examined: 20, passed: 20 } },
  backup: { takenAt: new Date(now - 24 * HOUR).toISOString() },
  migration: { verified: true, verifiedAt: '2026-03-09T22:00:00+08:00' },
});

describe('evaluateCriteria with the readiness defaults', () => {
  it('passes at the exact boundaries: 100% severe, 95.0% ordinary, 95.0% training, a backup exactly 24 h old', () => {
    const results = evaluateCriteria(DEFAULT_READINESS_CRITERIA, goodEvidence(), ctx);
    expect(results).toEqual([
      { id: 'uat-severe-fixed', comparator: '>=', threshold: 100, unit: 'percent', value: 100, verdict: 'pass' },
      { id: 'uat-ordinary-fixed', comparator: '>=', threshold: 95, unit: 'percent', value: 95, verdict: 'pass' },
      {
        id: 'training-pass-rate',
        comparator: '>=',
        threshold: 95,
        unit: 'percent',
        value: 95,
        verdict: 'pass',
        departments: [
          { code: 'IM-OPD', value: 95, verdict: 'pass' },
          { code: 'LAB', value: 100, verdict: 'pass' },
        ],
      },
      { id: 'backup-age', comparator: '<=', threshold: 24, unit: 'hours', value: 24, verdict: 'pass' },
      { id: 'migration-verified', comparator: '=', threshold: true, unit: 'boolean', value: true, verdict: 'pass' },
    ]);
    expect(criteriaPassed(results)).toBe(true);
  });

  it('fails just below the boundaries, and shows values floored, never rounded up to a pass', () => {
    const evidence = goodEvidence();
    evidence.uat = { severeTotal: 12, severeFixed: 11, ordinaryTotal: 199, ordinaryFixed: 189 };
    evidence.training!['IM-OPD'] = { examined: 1000, passed: 949 };
    evidence.backup = { takenAt: new Date(now - 24 * HOUR - 1000).toISOString() };
    evidence.migration = { verified: false };
    const results = evaluateCriteria(DEFAULT_READINESS_CRITERIA, evidence, ctx);
    expect(verdicts(results)).toEqual({
      'uat-severe-fixed': 'fail',
      'uat-ordinary-fixed': 'fail',
      'training-pass-rate': 'fail',
      'backup-age': 'fail',
      'migration-verified': 'fail',
    });
    expect(results.map((r) => r.value)).toEqual([91.66, 94.97, 94.9, 24, false]);
    expect(criteriaPassed(results)).toBe(false);
  });

  it('shows missing evidence as missing, and missing is not a pass', () => {
    const results = evaluateCriteria(DEFAULT_READINESS_CRITERIA, {}, ctx);
    expect(results.map((r) => [r.id, r.value, r.verdict])).toEqual([
      ['uat-severe-fixed', null, 'missing'],
      ['uat-ordinary-fixed', null, 'missing'],
      ['training-pass-rate', null, 'missing'],
      ['backup-age', null, 'missing'],
      ['migration-verified', null, 'missing'],
    ]);
    expect(results[2]!.departments).toEqual([
      { code: 'IM-OPD', value: null, verdict: 'missing' },
      { code: 'LAB', value: null, verdict: 'missing' },
    ]);
    expect(criteriaPassed(results)).toBe(false);
  });

  it('no defects found counts as all fixed', () => {
    const results = evaluateCriteria(
      DEFAULT_READINESS_CRITERIA.slice(0, 2),
      { uat: { severeTotal: 0, severeFixed: 0, ordinaryTotal: 0, ordinaryFixed: 0 } },
      ctx,
    );
    expect(results.map((r) => [r.value, r.verdict])).toEqual([
      [100, 'pass'],
      [100, 'pass'],
    ]);
  });
});

describe('training per department', () => {
  const training: Criterion[] = [{ id: 'training-pass-rate', minPercent: 95 }];

  it('a department with no exams is missing; one that failed makes the whole criterion fail', () => {
    const missing = evaluateCriteria(
      training,
      { training: { 'IM-OPD': { examined: 20, passed: 20 }, LAB: { examined: 0, passed: 0 } } },
      ctx,
    )[0]!;
    expect([missing.value, missing.verdict]).toEqual([100, 'missing']);
    const failed = evaluateCriteria(training, { training: { 'IM-OPD': { examined: 20, passed: 18 } } }, ctx)[0]!;
    expect([failed.value, failed.verdict]).toEqual([90, 'fail']);
    expect(failed.departments).toEqual([
      { code: 'IM-OPD', value: 90, verdict: 'fail' },
      { code: 'LAB', value: null, verdict: 'missing' },
    ]);
  });

  it('only the departments in scope count', () => {
    const r = evaluateCriteria(
      training,
      { training: { 'IM-OPD': { examined: 20, passed: 20 }, ICU: { examined: 10, passed: 1 } } },
      { nowMs: now, departments: ['IM-OPD'] },
    )[0]!;
    expect([r.value, r.verdict]).toEqual([100, 'pass']);
  });
});

describe('custom thresholds', () => {
  it('honours decimal thresholds exactly', () => {
    const criteria: Criterion[] = [
      { id: 'uat-ordinary-fixed', minPercent: 97.5 },
      { id: 'backup-age', maxHours: 12 },
    ];
    const pass = evaluateCriteria(
      criteria,
      {
        uat: { severeTotal: 0, severeFixed: 0, ordinaryTotal: 40, ordinaryFixed: 39 },
        backup: { takenAt: new Date(now - 12 * HOUR).toISOString() },
      },
      ctx,
    );
    expect(verdicts(pass)).toEqual({ 'uat-ordinary-fixed': 'pass', 'backup-age': 'pass' });
    const fail = evaluateCriteria(
      criteria,
      {
        uat: { severeTotal: 0, severeFixed: 0, ordinaryTotal: 41, ordinaryFixed: 39 },
        backup: { takenAt: new Date(now - 12 * HOUR - 1).toISOString() },
      },
      ctx,
    );
    expect(verdicts(fail)).toEqual({ 'uat-ordinary-fixed': 'fail', 'backup-age': 'fail' });
  });

  it('a backup stamped slightly after now (clock skew) is 0 hours old', () => {
    const r = evaluateCriteria([{ id: 'backup-age', maxHours: 24 }], { backup: { takenAt: new Date(now + 5000).toISOString() } }, ctx)[0]!;
    expect([r.value, r.verdict]).toEqual([0, 'pass']);
  });
});

describe('Evidence schema', () => {
  it('rejects more fixed than found and more passed than examined, by rule', () => {
    const result = Evidence.safeParse({
      uat: { severeTotal: 1, severeFixed: 2, ordinaryTotal: 0, ordinaryFixed: 0 },
      training: { LAB: { examined: 1, passed: 2 } },
    });
    expect(result.success).toBe(false);
    expect(planIssues(result.error!).map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'uat.severeFixed', rule: 'fixed-exceeds-total' },
      { path: 'training.LAB.passed', rule: 'passed-exceeds-examined' },
    ]);
  });

  it('accepts timestamps with an offset only', () => {
    expect(Evidence.safeParse({ backup: { takenAt: '2026-03-10T01:00:00+08:00' } }).success).toBe(true);
    expect(Evidence.safeParse({ backup: { takenAt: 'yesterday' } }).success).toBe(false);
  });
});
