/**
 * A program's stored runbooks: versioned (every change is a new version, none is rewritten) and
 * audited, so a run names the version it ran and the trail says who changed the night's plan.
 * Runs may name a stored runbook instead of carrying one; a lead approves a rehearsal's proposed
 * durations into it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Pool } from 'pg';
import { Runbook } from '../domain/runbook';
import { runbookReport } from '../domain/runbook-report';
import type { RunbookRunView } from '../domain/runbook-run';
import { appendAudit } from '../platform/audit';

export type RunbookSource = 'put' | 'csv' | 'approved';

export interface StoredRunbook {
  programId: string;
  version: number;
  source: RunbookSource;
  fromRun: string | null;
  createdBy: string;
  createdAt: string;
  runbook: Runbook;
}

interface Row {
  program_id: string;
  version: number;
  source: RunbookSource;
  from_run: string | null;
  created_by: string;
  created_at: Date;
  runbook: Runbook;
}

const stored = (r: Row): StoredRunbook => ({
  programId: r.program_id,
  version: r.version,
  source: r.source,
  fromRun: r.from_run,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  runbook: r.runbook,
});

const columns = 'program_id, version, source, from_run, created_by, created_at, runbook';

/** The latest version (or the one asked for), or undefined. */
export async function getRunbook(pool: Pool, programId: string, runbookId: string, version?: number): Promise<StoredRunbook | undefined> {
  const { rows } = await pool.query<Row>(
    `SELECT ${columns} FROM runbook WHERE program_id = $1 AND runbook_id = $2 AND ($3::int IS NULL OR version = $3)
     ORDER BY version DESC LIMIT 1`,
    [programId, runbookId, version ?? null],
  );
  return rows[0] ? stored(rows[0]) : undefined;
}

/** Every runbook of the program at its latest version (without tasks: a list, not the runbooks). */
export async function listRunbooks(pool: Pool, programId: string) {
  const { rows } = await pool.query<Row & { tasks: number }>(
    `SELECT DISTINCT ON (runbook_id) ${columns}, jsonb_array_length(runbook->'tasks') AS tasks
     FROM runbook WHERE program_id = $1 ORDER BY runbook_id, version DESC LIMIT 500`,
    [programId],
  );
  return rows.map((r) => {
    const { runbook, ...rest } = stored(r);
    return { id: runbook.id, title: runbook.title, window: runbook.window, tasks: r.tasks, ...rest };
  });
}

export interface PutOutcome {
  stored: StoredRunbook;
  /** False when the runbook equals the latest version: nothing new was stored. */
  created: boolean;
}

/**
 * Stores a new version unless the runbook equals the latest one (the same put twice is one
 * version). Two puts at once: the second insert of the same version number fails on the key and
 * is tried again on top of the first.
 */
export async function putRunbook(
  pool: Pool,
  req: { programId: string; runbook: Runbook; by: string; source: RunbookSource; fromRun?: string; details?: Record<string, unknown> },
): Promise<PutOutcome> {
  for (let attempt = 0; ; attempt++) {
    const latest = await getRunbook(pool, req.programId, req.runbook.id);
    if (latest && isDeepStrictEqual(latest.runbook, req.runbook)) return { stored: latest, created: false };
    const version = (latest?.version ?? 0) + 1;
    try {
      const { rows } = await pool.query<Row>(
        `INSERT INTO runbook (program_id, runbook_id, version, runbook, source, from_run, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${columns}`,
        [req.programId, req.runbook.id, version, req.runbook, req.source, req.fromRun ?? null, req.by],
      );
      await appendAudit(pool, {
        eventKey: `runbook:${req.programId}:${req.runbook.id}:v${version}`,
        actor: req.by,
        action: 'runbook.version-stored',
        target: { programId: req.programId, runbookId: req.runbook.id, version: String(version) },
        result: req.source,
        details: { tasks: req.runbook.tasks.length, ...(req.fromRun ? { fromRun: req.fromRun } : {}), ...req.details },
      });
      return { stored: stored(rows[0]!), created: true };
    } catch (err) {
      if ((err as { code?: string }).code !== '23505' || attempt >= 3) throw err;
    }
  }
}

export type ApproveOutcome =
  | { ok: true; stored: StoredRunbook; approved: { task: string; from: number; to: number }[] }
  | { ok: false; reason: 'no-runbook' | 'other-runbook' | 'nothing-proposed'; message: string }
  | { ok: false; reason: 'unknown-tasks'; tasks: string[] };

/**
 * The report's proposed durations of a finished run, all or the chosen tasks, approved into the
 * latest version of the runbook it ran: a new version, audited with who approved and from which
 * run. A task the latest version no longer has is skipped; a chosen task without a proposal is
 * refused, so the lead learns the report did not propose what they meant to approve.
 */
export async function approveProposedDurations(
  pool: Pool,
  req: { programId: string; runbookId: string; run: RunbookRunView; earlier: RunbookRunView[]; tasks?: string[]; by: string },
): Promise<ApproveOutcome> {
  if (req.run.runbookId !== req.runbookId)
    return { ok: false, reason: 'other-runbook', message: `run ${req.run.runId} ran runbook ${req.run.runbookId}, not ${req.runbookId}` };
  const latest = await getRunbook(pool, req.programId, req.runbookId);
  if (!latest) return { ok: false, reason: 'no-runbook', message: `no stored runbook ${req.runbookId} in program ${req.programId}` };
  const proposals = new Map(
    runbookReport(req.run, req.earlier).tasks.flatMap((t) => (t.proposedMinutes === null ? [] : [[t.id, t.proposedMinutes] as const])),
  );
  const unknown = (req.tasks ?? []).filter((t) => !proposals.has(t));
  if (unknown.length > 0) return { ok: false, reason: 'unknown-tasks', tasks: unknown };
  const chosen = new Set(req.tasks ?? proposals.keys());
  const approved: { task: string; from: number; to: number }[] = [];
  const tasks = latest.runbook.tasks.map((t) => {
    const to = proposals.get(t.id);
    if (to === undefined || !chosen.has(t.id) || to === t.plannedMinutes) return t;
    approved.push({ task: t.id, from: t.plannedMinutes, to });
    return { ...t, plannedMinutes: to };
  });
  if (approved.length === 0)
    return {
      ok: false,
      reason: 'nothing-proposed',
      message: `run ${req.run.runId} proposes no duration the runbook does not have already`,
    };
  const out = await putRunbook(pool, {
    programId: req.programId,
    runbook: Runbook.parse({ ...latest.runbook, tasks }),
    by: req.by,
    source: 'approved',
    fromRun: req.run.runId,
    details: { approved: approved.length, previousVersion: latest.version },
  });
  return { ok: true, stored: out.stored, approved };
}
