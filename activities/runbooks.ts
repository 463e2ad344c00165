import type { Pool } from 'pg';
import { issueCheckToken, noticeSent, wantsCheckLink } from '../app/check-links';
import { runInput } from '../app/runbook-runs';
import { getRunbook } from '../app/runbooks';
import { storeRunbookPackets } from '../app/runbook-packets';
import { runbookPackets } from '../domain/runbook-packets';
import type { RunbookRunInput, RunbookRunView } from '../domain/runbook-run';
import type { PersonalMessage } from './notify';

export interface RecordPacketsInput {
  run: RunbookRunInput;
  startMs: number;
  notBefore: Record<string, number>;
  speed: number;
}

/**
 * A runbook task's e-mail with its reader's own check-off link. A notice already sent keeps the
 * link it went out with (a retry re-sends nothing, so a new token would never reach anyone).
 */
export const withCheckLink =
  (pool: Pool): PersonalMessage =>
  async (message, personId, idempotencyKey) => {
    if (message.template !== 'runbook-task' || !wantsCheckLink(message) || (await noticeSent(pool, idempotencyKey))) return message;
    const checkToken = await issueCheckToken(pool, {
      noticeKey: idempotencyKey,
      programId: message.programId,
      runId: message.runId,
      taskId: message.taskId,
      personId,
      rehearsal: message.rehearsal,
    });
    return { ...message, checkToken };
  };

export interface PrepareDepartmentNight {
  programId: string;
  department: string;
  runbookId: string;
  runId: string;
  /** The department's go-live workflow id: its steps' idempotency keys start with it. */
  goLiveWorkflowId: string;
}

export function createRunbookActivities({ pool }: { pool: Pool }) {
  return {
    /** A finished run kept for the rehearsal report (the workflow's history keeps only its result). Idempotent: a retried write of the same run lands once. */
    async recordRunbookRun(view: RunbookRunView): Promise<void> {
      await pool.query(
        `INSERT INTO runbook_run (program_id, run_id, runbook_id, mode, speed, started_at, minutes_over_window, view)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0), $7, $8) ON CONFLICT (program_id, run_id) DO NOTHING`,
        [view.programId, view.runId, view.runbookId, view.mode, view.speed, view.startMs, view.schedule.minutesOverWindow, view],
      );
    },

    /**
     * The live run of a department's night from the program's stored runbook (its latest version)
     * and the plan, or why it cannot run (codes only). The runbook's adapter steps of this
     * department share the go-live's idempotency keys, so each step reaches the hospital once.
     */
    async prepareDepartmentNight(
      req: PrepareDepartmentNight,
    ): Promise<{ ok: true; input: RunbookRunInput } | { ok: false; reason: string }> {
      const stored = await getRunbook(pool, req.programId, req.runbookId);
      if (!stored) return { ok: false, reason: `no stored runbook ${req.runbookId}` };
      const input = await runInput(pool, {
        programId: req.programId,
        runId: req.runId,
        mode: 'live',
        runbook: stored.runbook,
        runbookVersion: stored.version,
      });
      if (input === null) return { ok: false, reason: `no program ${req.programId}` };
      if (Array.isArray(input))
        return {
          ok: false,
          reason: input
            .map((i) => `${i.path}: ${i.rule}`)
            .join('; ')
            .slice(0, 300),
        };
      const adapterStepKeys = Object.fromEntries(
        stored.runbook.tasks
          .filter((t) => t.kind === 'adapter-step' && t.department === req.department)
          .map((t) => [t.id, `${req.goLiveWorkflowId}/${t.step}/do`]),
      );
      return { ok: true, input: { ...input, department: req.department, adapterStepKeys, opensAtStart: true } };
    },

    /**
     * The run's paper packets, built from its input and stored (the packets' content stays out of
     * the workflow's history); idempotent: a retry keeps the first build. Returns how many.
     */
    async recordRunbookPackets({ run, startMs, notBefore, speed }: RecordPacketsInput): Promise<{ packets: number }> {
      const packets = runbookPackets(run, startMs, notBefore, speed);
      await storeRunbookPackets(pool, packets);
      return { packets: packets.length };
    },
  };
}
