/**
 * One contract per program update: its name (the string running workflows and recorded
 * histories know it by), the body the API takes, the path parameters it takes from the route,
 * and the roles allowed. The update's input type is derived from these (body + path + actor),
 * so a route built from a contract (api/routes/programs.ts) and the workflow's handler for it
 * cannot drift apart without a compile error. Pure: the workflows and the API both import it.
 *
 * The workflow's validators check the roles again (an update may come from elsewhere than the
 * API): workflows/program/context.ts registers each handler with its contract and refuses with
 * `roleRefusal(contract, actor)`.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { hasAnyRole, type Actor, type Role } from './people';
import { roleGroups } from './permissions';
import { CompareAgainBody, ExtendRunBody } from './parallel-run';
import { DepartmentCode, ProgramId } from './plan';
import { Evidence, type CriterionResult } from './rules/criteria';
import { GateKey } from './rules/gates';
import type { DepartmentView, EmergencyView, GateView, ParallelRunView, ProgramStatus, WaveView } from './program-views';

/** The program-id path parameter of every route under /v1/programs/{programId}. */
export const ProgramParams = z.object({ programId: ProgramId });
/** A wave's number in a path (a string there, coerced). */
export const WaveNumber = z.coerce.number().int().min(1).max(99);

const Reason = z.string().trim().min(3).max(500);
const Comment = z.string().max(500).optional();

// ------------------------------------------------------------------ bodies

export const RecordEvidenceBody = z.object({ evidence: Evidence, comment: Comment });
export const RequestGateBody = z.object({ comment: Comment });
export const StartWaveBody = z.object({ comment: Comment });
export const DecideGateBody = z.object({
  decision: z.enum(['go', 'no-go']),
  comment: z.string().max(2000).optional(),
  /** Required to say "go" while a criterion fails: recorded and shown with the decision. */
  override: z.object({ reason: Reason }).optional(),
});
export const RetryDepartmentBody = z.object({ reason: Reason });
/** Roll back named departments, or a whole wave; the reason goes to the audit trail. */
export const RollBackBody = z
  .object({
    departments: z.array(DepartmentCode).min(1).max(100).optional(),
    wave: z.number().int().min(1).max(99).optional(),
    reason: Reason,
  })
  .refine((b) => (b.departments === undefined) !== (b.wave === undefined), {
    message: 'give either departments or wave',
    path: ['departments'],
    params: { rule: 'departments-or-wave' },
  });
/** A compensation that kept failing was done by hand: the lead says so, with the reason. */
export const MarkStepUndoneBody = z.object({
  stepId: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a step id'),
  reason: Reason,
});
export const CompleteBody = z.object({ comment: Comment });
export const ResumeProgramBody = z.object({ reason: Reason });
/** Paper operation: for the whole hospital (no departments) or for named departments. */
export const DeclareEmergencyBody = z.object({ departments: z.array(DepartmentCode).min(1).max(100).optional(), reason: Reason });
export const RecordBacklogBody = z.object({ department: DepartmentCode, paperRecords: z.number().int().min(0).max(1_000_000) });
export const RestoreSystemsBody = z.object({ reason: Reason });
/**
 * The emergency closes when every backlog is zero and the downtime window reconciles: by a
 * clean comparison of that window (request one first), or confirmed by hand with a reason.
 */
export const CloseEmergencyBody = z.object({ reconciliation: z.enum(['comparison', 'manual']), reason: Reason });
export const ResumeDepartmentBody = z.object({ reason: Reason });
export const VerifyMigrationBody = z.object({ comment: Comment });

// ------------------------------------------------------------------ the contract

type PathShape = Record<string, z.ZodType>;

/** What the workflow's handler gets: the body, the path's ids (not the program id: that is the workflow), who asks. */
export type ProgramUpdateInput<Body extends z.ZodType, Path extends PathShape> = z.output<Body> & {
  [K in keyof Path]: z.output<Path[K]>;
} & {
  actor: Actor;
  /** The API request that sent it, for the audit entries the workflow writes. */
  requestId?: string;
};

export interface ProgramUpdateContract<Name extends string, Result, Body extends z.ZodType, Path extends PathShape> {
  name: Name;
  update: UpdateDefinition<Result, [ProgramUpdateInput<Body, Path>], Name>;
  /** The request body the API validates. */
  body: Body;
  /** The route's path parameters: the program id and the update's own (gate, wave, department). */
  params: z.ZodObject<{ programId: typeof ProgramId } & Path>;
  /** Who may send it (the API answers 403 before the workflow sees it; the validator checks again). */
  roles: readonly Role[];
  /** The handler's input from the validated parts: the one place an input is assembled. */
  input(
    body: z.output<Body>,
    path: { [K in keyof Path]: z.output<Path[K]> },
    actor: Actor,
    requestId?: string,
  ): ProgramUpdateInput<Body, Path>;
}

// Curried so that the result type is named and the rest inferred.
const programUpdate =
  <Result>() =>
  <const Name extends string, Body extends z.ZodType, Path extends PathShape = Record<never, never>>(
    name: Name,
    def: { body: Body; path?: Path; roles: readonly Role[] },
  ): ProgramUpdateContract<Name, Result, Body, Path> => ({
    name,
    update: defineUpdate<Result, [ProgramUpdateInput<Body, Path>], Name>(name),
    body: def.body,
    params: ProgramParams.extend(def.path ?? ({} as Path)) as z.ZodObject<{ programId: typeof ProgramId } & Path>,
    roles: def.roles,
    input: (body, path, actor, requestId) =>
      ({ ...(body as object), ...path, actor, ...(requestId === undefined ? {} : { requestId }) }) as ProgramUpdateInput<Body, Path>,
  });

const { leads, responders, approvers } = roleGroups;
const gate = { gate: GateKey };
const department = { department: DepartmentCode };

/** Every program update, by name. The names are the workflow's: never rename one (running programs answer to it). */
export const programUpdates = {
  recordEvidence: programUpdate<{ criteria: CriterionResult[] }>()('recordEvidence', { body: RecordEvidenceBody, roles: leads }),
  requestGate: programUpdate<GateView>()('requestGate', { body: RequestGateBody, path: gate, roles: leads }),
  decideGate: programUpdate<GateView>()('decideGate', { body: DecideGateBody, path: gate, roles: approvers }),
  startWave: programUpdate<WaveView>()('startWave', { body: StartWaveBody, path: { wave: WaveNumber }, roles: leads }),
  retryDepartment: programUpdate<DepartmentView>()('retryDepartment', { body: RetryDepartmentBody, path: department, roles: leads }),
  complete: programUpdate<ProgramStatus>()('complete', { body: CompleteBody, roles: leads }),
  rollBack: programUpdate<DepartmentView[]>()('rollBack', { body: RollBackBody, roles: leads }),
  markStepUndone: programUpdate<DepartmentView>()('markStepUndone', { body: MarkStepUndoneBody, path: department, roles: leads }),
  resumeProgram: programUpdate<ProgramStatus>()('resumeProgram', { body: ResumeProgramBody, roles: leads }),
  declareEmergency: programUpdate<EmergencyView>()('declareEmergency', { body: DeclareEmergencyBody, roles: responders }),
  recordBacklog: programUpdate<EmergencyView>()('recordBacklog', { body: RecordBacklogBody, roles: responders }),
  restoreSystems: programUpdate<EmergencyView>()('restoreSystems', { body: RestoreSystemsBody, roles: responders }),
  closeEmergency: programUpdate<EmergencyView>()('closeEmergency', { body: CloseEmergencyBody, roles: leads }),
  resumeDepartment: programUpdate<DepartmentView>()('resumeDepartment', { body: ResumeDepartmentBody, path: department, roles: leads }),
  /** Starts a whole-history comparison of every domain; its result becomes the "migration verified" evidence. */
  verifyMigration: programUpdate<{ n: number; workflowId: string }>()('verifyMigration', { body: VerifyMigrationBody, roles: leads }),
  /** The lead's parallel-run requests, forwarded to the parallel-run workflow. */
  extendParallelRun: programUpdate<ParallelRunView>()('extendParallelRun', { body: ExtendRunBody, roles: leads }),
  compareAgain: programUpdate<ParallelRunView>()('compareAgain', { body: CompareAgainBody, roles: leads }),
};

export type ProgramUpdateName = keyof typeof programUpdates;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any contract, for code generic over all of them
export type AnyProgramUpdate = ProgramUpdateContract<string, any, any, any>;
/** The handler input of a contract, e.g. `InputOf<typeof programUpdates.decideGate>`. */
export type InputOf<C> = C extends ProgramUpdateContract<infer _N, infer _R, infer B, infer P> ? ProgramUpdateInput<B, P> : never;

/** Who may send an update, by its name. */
export const rolesFor = (name: ProgramUpdateName): readonly Role[] => programUpdates[name].roles;

/**
 * A validator's refusal when the actor holds none of the update's roles, worded as the
 * workflow's refusals are; undefined when one is held. decideGate's roles admit a gate's
 * possible approvers: the validator still checks the approver's name against the plan.
 */
export function roleRefusal(contract: Pick<AnyProgramUpdate, 'roles'>, actor: Pick<Actor, 'roles'>): string | undefined {
  const { roles } = contract;
  return hasAnyRole(actor, roles) ? undefined : `rejected: requires one of the roles ${roles.join(', ')}`;
}
