import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../domain/errors';
import type { HeaderValue } from '../../domain/plan';
import { renderTemplate } from '../../domain/rules/templates';
import type { HospitalAdapter, StepCall, StepOutcome } from './types';

const render = (template: string, call: StepCall) =>
  renderTemplate(template, { department: call.department, step: call.step.id, programId: call.programId, attempt: call.attempt });

/**
 * A hospital system behind HTTP (an interface engine, an admin API). Every request carries an
 * Idempotency-Key, so the retries Temporal makes are safe. Errors name the system and status
 * only: a response body may hold patient data and never leaves this function.
 */
export function createHttpAdapter(env: Record<string, string | undefined>, fetchImpl: typeof fetch = fetch): HospitalAdapter {
  const headerValue = (v: HeaderValue, name: string): string => {
    if (typeof v === 'string') return v;
    const secret = env[v.secretEnv];
    if (!secret) throw ApplicationFailure.create({ type: ErrorType.InvalidInput, nonRetryable: true, message: `header ${name}: environment variable ${v.secretEnv} is not set` });
    return secret;
  };
  return {
    async run(call: StepCall): Promise<StepOutcome> {
      const adapter = call.adapter;
      if (adapter.kind !== 'http') throw new Error('not an http adapter');
      const request = call.direction === 'do' ? call.step.request : call.step.compensation.request;
      if (!request) throw ApplicationFailure.create({ type: ErrorType.InvalidInput, nonRetryable: true, message: `step ${call.step.id} has no http request for ${call.direction}` });
      const headers: Record<string, string> = { 'idempotency-key': call.idempotencyKey, accept: 'application/json' };
      for (const [name, value] of Object.entries(adapter.headers)) headers[name] = headerValue(value, name);
      if (request.body !== undefined) headers['content-type'] ??= 'application/json';
      const url = new URL(render(request.path, call).replace(/^\//, ''), adapter.baseUrl.endsWith('/') ? adapter.baseUrl : `${adapter.baseUrl}/`);
      let res: Response;
      try {
        res = await fetchImpl(url, { method: request.method, headers, body: request.body === undefined ? undefined : render(request.body, call), signal: AbortSignal.timeout(adapter.timeoutMs) });
      } catch (err) {
        // Network trouble and timeouts are worth retrying.
        throw new Error(`${call.step.system} unreachable (${(err as { name?: string }).name ?? 'error'})`);
      }
      const text = await res.text();
      const label = `${call.step.system} answered ${res.status} to ${call.direction} ${call.step.id}`;
      if (res.status === 409) return { alreadyDone: true };
      if (res.ok) {
        let reference: string | undefined;
        try {
          const ref = (JSON.parse(text) as { reference?: unknown }).reference;
          if (typeof ref === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(ref)) reference = ref;
        } catch {
          // A body that is not JSON carries no reference.
        }
        return { reference, alreadyDone: false };
      }
      if (res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500) throw new Error(label);
      throw ApplicationFailure.create({ type: ErrorType.AdapterRejected, nonRetryable: true, message: label, details: [{ status: res.status }] });
    },
  };
}
