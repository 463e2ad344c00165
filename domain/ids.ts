/**
 * The one place workflow ids are made. Readable ids turn the Temporal Web UI and CLI into a
 * second console for operators; they hold codes and opaque ids only, never patient data.
 */
const safe = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function part(value: string, what: string): string {
  if (!safe.test(value)) throw new Error(`${what} must match ${safe.source}`);
  return value;
}

export const workflowIds = {
  testNotification: (requestId: string) => `test-notification:${part(requestId, 'requestId')}`,
  program: (programId: string) => `program:${part(programId, 'programId')}`,
  rollback: (programId: string, department: string, n: number) =>
    `rollback:${part(programId, 'programId')}:${part(department, 'department')}:${n}`,
  departmentGoLive: (programId: string, department: string, attempt: number) =>
    `golive:${part(programId, 'programId')}:${part(department, 'department')}:${attempt}`,
  /** One per program: the nightly comparison loop, which continues as new under the same id. */
  parallelRun: (programId: string) => `parallel-run:${part(programId, 'programId')}`,
  /** One per open condition: a repeat of the same condition signals the open incident instead of opening another. */
  incident: (programId: string, condition: string, dept: string) =>
    `incident:${part(programId, 'programId')}:${part(condition, 'condition')}:${part(dept, 'dept')}`,
  /** One per verification of the data migration; n counts the program's verifications. */
  verifyMigration: (programId: string, n: number) => `verify-migration:${part(programId, 'programId')}:${n}`,
  /** One per run of a runbook (a rehearsal or the night): the run's code is unique within its program. */
  runbookRun: (programId: string, runId: string) => `runbook:${part(programId, 'programId')}:${part(runId, 'runId')}`,
};
