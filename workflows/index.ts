// Every workflow the worker registers. Lint keeps this folder deterministic (eslint.config.mjs).
export { testNotificationWorkflow } from './test-notification';
