import { describe, expect, it } from 'vitest';
import { programRoutes } from '../../api/routes/programs';
import { roleGroups } from '../../domain/permissions';
import { programUpdates, roleRefusal, rolesFor, type InputOf } from '../../domain/program-contract';
import { decideGateUpdate, startWaveUpdate, type DecideGateInput } from '../../domain/rollout';

const actor = { personId: 'p-vp-01', roles: ['leadership' as const] };

describe('program update contracts', () => {
  it('keep the update names running programs and recorded histories answer to', () => {
    const names = Object.entries(programUpdates).map(([key, c]) => [key, c.name, c.update.name]);
    for (const [key, name, updateName] of names) expect([name, updateName], key).toEqual([key, key]);
    expect(names.map(([key]) => key).sort()).toEqual(
      [
        'closeEmergency',
        'compareAgain',
        'complete',
        'declareEmergency',
        'decideGate',
        'extendParallelRun',
        'markStepUndone',
        'recordBacklog',
        'recordEvidence',
        'requestGate',
        'resumeDepartment',
        'resumeProgram',
        'restoreSystems',
        'retryDepartment',
        'rollBack',
        'startWave',
        'verifyMigration',
      ].sort(),
    );
    // The names the workflows import from domain/rollout.ts are the contracts' definitions.
    expect(decideGateUpdate).toBe(programUpdates.decideGate.update);
    expect(startWaveUpdate).toBe(programUpdates.startWave.update);
  });

  it('read their roles from the one permissions table, and so do the routes built from them', () => {
    expect(rolesFor('decideGate')).toBe(roleGroups.approvers);
    expect(rolesFor('declareEmergency')).toBe(roleGroups.responders);
    expect(rolesFor('startWave')).toBe(roleGroups.leads);
    // What the workflow's validators say, in the words they use today.
    expect(roleRefusal(programUpdates.startWave, { roles: ['viewer', 'oncall'] })).toBe('rejected: requires one of the roles lead, admin');
    expect(roleRefusal(programUpdates.declareEmergency, { roles: ['oncall'] })).toBeUndefined();
    expect(roleRefusal(programUpdates.decideGate, { roles: ['leadership'] })).toBeUndefined();
    const contracts = Object.values(programUpdates);
    const updateRoutes = programRoutes.filter((r) => contracts.some((c) => c.body === r.body));
    expect(updateRoutes).toHaveLength(contracts.length);
    for (const r of updateRoutes) {
      const c = contracts.find((x) => x.body === r.body)!;
      expect([r.roles, r.params], r.path).toEqual([c.roles, c.params]);
      for (const name of Object.keys(c.params.shape)) expect(r.path, c.name).toContain(`{${name}}`);
    }
  });

  it("take the program id and the update's own ids from the path, and assemble the input from the parts", () => {
    expect(programUpdates.startWave.params.parse({ programId: 'prog-1', wave: '2' })).toEqual({ programId: 'prog-1', wave: 2 });
    const bad = programUpdates.decideGate.params.safeParse({ programId: 'Prog 1', gate: 'exit-0' });
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['gate', 'programId']);
    const input: DecideGateInput = programUpdates.decideGate.input(
      { decision: 'go', comment: 'fine' },
      { gate: 'readiness' },
      actor,
      'req-1',
    );
    expect(input).toEqual({ decision: 'go', comment: 'fine', gate: 'readiness', actor, requestId: 'req-1' });
    expect(programUpdates.complete.input({}, {}, actor)).toEqual({ actor });
  });

  it('derive the input type from the body and the path, so the two cannot drift apart', () => {
    // @ts-expect-error a decision needs the gate from the path
    const noGate: InputOf<typeof programUpdates.decideGate> = { decision: 'go', actor };
    // @ts-expect-error the body's enum is the input's
    const maybe: InputOf<typeof programUpdates.decideGate> = { decision: 'maybe', gate: 'readiness', actor };
    // @ts-expect-error a wave number from the path is a number, not its string
    const wave: InputOf<typeof programUpdates.startWave> = { wave: '2', actor };
    expect([noGate, maybe, wave]).toHaveLength(3);
  });
});
