import { describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import { parsePlan, type PlanInput } from '../../domain/plan';
import {
  allowedActions,
  closeEmergencyBlocker,
  gateRequestBlocker,
  initialState,
  nextClockChange,
  retryBlocker,
  rollbackBlocker,
  waveStartBlocker,
  type ProgramState,
} from '../../domain/program';
import { programStatus } from '../../domain/program-status';
import { openGate, gateOf } from '../../domain/rules/gates';

/** The program's decisions need no Temporal: a plan, a state and a clock. */
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T02:00:00Z'); // a Monday, 10:00 in Asia/Shanghai

function plan(edit?: (p: PlanInput) => void) {
  const p = testPlan();
  edit?.(p);
  return parsePlan(p);
}

function goGate(s: ProgramState, key: string) {
  s.gates[key]!.status = 'go';
}

/** Readiness said go, the pilot live since `liveAt`. */
function pilotLive(p: ReturnType<typeof plan>, liveAt: number): ProgramState {
  const s = initialState(p);
  goGate(s, 'readiness');
  s.phase = 'wave-active';
  s.activeWave = 1;
  s.waves[0] = { wave: 1, status: 'live', startedAtMs: liveAt - 3_600_000, wentLiveAtMs: liveAt };
  for (const code of p.waves[0]!.departments) Object.assign(s.departments[code]!, { state: 'live-parallel', attempt: 1 });
  return s;
}

describe('program rules: what the lead may do next, and why not', () => {
  it('a new program may record evidence, request readiness and declare an emergency, nothing else', () => {
    const p = plan();
    const s = initialState(p);
    expect(allowedActions(p, s, T0)).toEqual(['record-evidence', 'request-gate:readiness', 'declare-emergency']);
    expect(waveStartBlocker(p, s, 1, T0)).toBe('gate readiness has not said go');
    expect(waveStartBlocker(p, s, 2, T0)).toBe('wave 1 is next');
    expect(waveStartBlocker(p, s, 9, T0)).toBe('no wave 9 in this plan');
    expect(gateRequestBlocker(p, s, 'exit-1', T0)).toBe('wave 1 is not live in every department');
    expect(gateRequestBlocker(p, s, 'final', T0)).toBe("the last wave's exit gate (exit-3) has not said go");
  });

  it('an open gate blocks every other request and may be decided', () => {
    const p = plan();
    const s = initialState(p);
    s.gates.readiness = { ...s.gates.readiness!, status: 'open', round: 1, state: openGate('readiness', gateOf(p, 'readiness')!, T0) };
    s.phase = 'gate-open';
    expect(gateRequestBlocker(p, s, 'readiness', T0)).toBe('gate readiness is open');
    expect(allowedActions(p, s, T0)).toContain('decide-gate:readiness');
    expect(allowedActions(p, s, T0)).not.toContain('request-gate:readiness');
  });

  it('after readiness says go, wave 1 may start; a blackout names the next allowed start', () => {
    const p = plan((x) => (x.waves[0]!.blackouts = [{ from: '2026-03-02T08:00', to: '2026-03-03T08:00', reason: 'audit day' }]));
    const s = initialState(p);
    goGate(s, 'readiness');
    expect(waveStartBlocker(p, s, 1, T0 - DAY)).toBeNull();
    expect(waveStartBlocker(p, s, 1, T0)).toMatch(/next allowed start 2026-03-03T00:00:00.000Z$/);
    expect(allowedActions(p, s, T0)).not.toContain('start-wave:1');
    // The workflow wakes when the blackout ends, and the action is there at that moment.
    const wake = nextClockChange(p, s, T0)!;
    expect(new Date(wake).toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(allowedActions(p, s, wake)).toContain('start-wave:1');
  });

  it("a live wave's exit gate becomes requestable at the moment its minimum run ends, and the workflow wakes then", () => {
    const p = plan();
    const s = pilotLive(p, T0);
    const allowedAt = T0 + 14 * DAY;
    expect(gateRequestBlocker(p, s, 'exit-1', allowedAt - 1)).toBe(
      `wave 1 must run until ${new Date(allowedAt).toISOString()} before its exit gate`,
    );
    expect(nextClockChange(p, s, T0)).toBe(allowedAt);
    expect(allowedActions(p, s, allowedAt - 1)).not.toContain('request-gate:exit-1');
    expect(allowedActions(p, s, allowedAt)).toContain('request-gate:exit-1');
    goGate(s, 'exit-1');
    expect(nextClockChange(p, s, T0)).toBeUndefined();
  });

  it('a paused program requests no gate and starts no wave; an open emergency offers its own steps', () => {
    const p = plan();
    const s = pilotLive(p, T0);
    s.phase = 'paused';
    s.pausedFrom = 'wave-active';
    s.emergency = {
      n: 1,
      reason: 'network down',
      declaredBy: 'p-lead-01',
      departments: ['LAB'],
      declaredAtMs: T0,
      backlog: {},
      packets: {},
      pausedGoLives: [],
      timeline: [],
    };
    expect(gateRequestBlocker(p, s, 'exit-1', T0 + 30 * DAY)).toBe('the program is paused');
    expect(retryBlocker({ ...s, departments: { ...s.departments, LAB: { ...s.departments.LAB!, state: 'rolled-back' } } }, 'LAB')).toBe(
      'the program is paused',
    );
    expect(allowedActions(p, s, T0)).toEqual(expect.arrayContaining(['record-backlog', 'restore-systems']));
    expect(allowedActions(p, s, T0)).not.toContain('resume');
    expect(closeEmergencyBlocker(s, 'manual')).toBe('restore the systems first');
    s.emergency.restoredAtMs = T0 + 3_600_000;
    expect(closeEmergencyBlocker(s, 'manual')).toBe('back-entry is not finished: LAB not reported');
    s.emergency.backlog.LAB = 0;
    expect(closeEmergencyBlocker(s, 'manual')).toBeNull();
    expect(closeEmergencyBlocker(s, 'comparison')).toMatch(/^no clean comparison of the downtime window yet/);
    expect(allowedActions(p, s, T0)).toContain('close-emergency');
    s.emergency.closedAtMs = T0 + 7_200_000;
    expect(allowedActions(p, s, T0)).toContain('resume');
    expect(closeEmergencyBlocker(s, 'manual')).toBe('no emergency is open');
  });

  it('rolls back only what went live; asking again while it rolls back is allowed', () => {
    const p = plan();
    const s = pilotLive(p, T0);
    expect(rollbackBlocker(s, ['LAB', 'IM-OPD'])).toBeNull();
    expect(rollbackBlocker(s, ['LAB', 'RAD'])).toBe('nothing to roll back in RAD (legacy)');
    s.departments.LAB!.state = 'rolling-back';
    expect(rollbackBlocker(s, ['LAB'])).toBeNull();
    expect(allowedActions(p, s, T0)).not.toContain('roll-back:LAB');
  });

  it('a finished program allows nothing', () => {
    const p = plan();
    for (const phase of ['completed', 'aborted'] as const) {
      const s = { ...pilotLive(p, T0), phase };
      expect(allowedActions(p, s, T0)).toEqual([]);
      expect(nextClockChange(p, s, T0)).toBeUndefined();
      expect(gateRequestBlocker(p, s, 'exit-1', T0 + 30 * DAY)).toBe(`the program is ${phase}`);
    }
  });

  it('the status view shows every department, gate and wave, with the time it was computed', () => {
    const p = plan();
    const st = programStatus(p, pilotLive(p, T0), T0 + DAY);
    expect(st.departments).toHaveLength(10);
    expect(st.gates.map((g) => `${g.gate}:${g.status}`)).toEqual([
      'readiness:go',
      'exit-1:closed',
      'exit-2:closed',
      'exit-3:closed',
      'final:closed',
    ]);
    expect(st.waves[0]).toMatchObject({
      status: 'live',
      wentLiveAt: new Date(T0).toISOString(),
      exitGateAllowedAt: new Date(T0 + 14 * DAY).toISOString(),
    });
    expect(st.parallelRun.finalGateBlockers).toEqual(['the last wave is not live']);
    expect(st.parallelRun.finalGateBlocks).toEqual([{ kind: 'last-wave-not-live' }]);
    expect(st.updatedAt).toBe(new Date(T0 + DAY).toISOString());
  });
});
