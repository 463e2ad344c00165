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
};
