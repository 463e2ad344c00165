// Every workflow the worker registers. Lint keeps this folder deterministic (eslint.config.mjs).
export { testNotificationWorkflow } from './test-notification';
export { programWorkflow } from './program';
export { departmentGoLiveWorkflow } from './department';
export { rollbackWorkflow } from './rollback';
export { incidentWorkflow } from './incident';
export { parallelRunWorkflow } from './parallel-run';
export { verifyMigrationWorkflow } from './verify-migration';
export { runbookRunWorkflow } from './runbook';
