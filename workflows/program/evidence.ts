/** Evidence for the gates: recorded by the lead, or computed (a whole-history migration check). */
import { programUpdates } from '../../domain/program-contract';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { workflowIds } from '../../domain/ids';
import type { MigrationVerified } from '../../domain/migration';
import { runSettings } from '../../domain/parallel-run';
import { openGateKey } from '../../domain/program';
import { gateKeys } from '../../domain/rules/gates';
import { verifyMigrationWorkflow } from '../verify-migration';
import { iso, type ProgramContext } from './context';

/** A finished verification is the readiness gate's "migration verified" evidence, computed. */
export async function onMigrationVerified(ctx: ProgramContext, v: MigrationVerified) {
  const { s } = ctx;
  s.evidence = { ...s.evidence, migration: { verified: v.verified, verifiedAt: v.verifiedAt } };
  const open = openGateKey(s);
  if (open) s.gates[open]!.criteria = ctx.criteriaFor(open);
  await ctx.audit('workflow', 'migration.verified', { verification: String(v.n) }, v.verified ? 'verified' : 'differences', undefined, {
    differingKeys: v.differingKeys,
    rowsCompared: v.rowsCompared,
  });
}

export function registerEvidenceHandlers(ctx: ProgramContext) {
  const { s, plan } = ctx;

  ctx.handle(programUpdates.recordEvidence, {
    run: async ({ actor, evidence, comment }) => {
      s.evidence = { ...s.evidence, ...evidence, training: { ...s.evidence.training, ...evidence.training } };
      const open = openGateKey(s);
      if (open) s.gates[open]!.criteria = ctx.criteriaFor(open);
      await ctx.audit(actor, 'evidence.recorded', {}, 'recorded', comment, { parts: Object.keys(evidence) });
      const target = open ?? gateKeys(plan).find((k) => s.gates[k]!.status !== 'go') ?? 'final';
      return { criteria: ctx.criteriaFor(target) };
    },
  });

  ctx.handle(programUpdates.verifyMigration, {
    check: () => {
      if (!runSettings(plan.parallelRun).domains.length)
        ctx.invalidState('the plan names no comparison domains to verify the migration with');
    },
    run: async ({ actor, comment }) => {
      s.migrationVerifications += 1;
      const n = s.migrationVerifications;
      const workflowId = workflowIds.verifyMigration(ctx.programId, n);
      await startChild(verifyMigrationWorkflow, {
        workflowId,
        args: [
          {
            programId: ctx.programId,
            programWorkflowId: ctx.selfId,
            n,
            domains: runSettings(plan.parallelRun).domains,
            window: { from: '1970-01-01T00:00:00.000Z', to: iso(ctx.now()) },
            departments: plan.departments.map((d) => d.code),
          },
        ],
        // Hours of work on big tables; it reports by signal and outlives a continue-as-new.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      await ctx.audit(actor, 'migration.verification-started', { verification: String(n) }, 'running', comment);
      return { n, workflowId };
    },
  });
}
