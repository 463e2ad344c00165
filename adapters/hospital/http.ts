import { z } from 'zod';
import { ErrorType } from '../../domain/errors';
import type { Adapter, HeaderValue, HttpRequest } from '../../domain/plan';
import { renderTemplate, type TemplateValues } from '../../domain/rules/templates';
import { AdapterFailure, type DowntimeCall, type DowntimeSnapshot, type HospitalAdapter, type StepCall, type StepOutcome } from './types';

type HttpAdapterSpec = Extract<Adapter, { kind: 'http' }>;

const Rows = z.array(z.record(z.string(), z.unknown())).max(100_000);
/** What a vendor's downtime `enter` endpoint answers: the department's last good data. */
const Snapshot = z.object({ census: Rows, activeOrders: Rows, pendingResults: Rows });

/**
 * A hospital system behind HTTP (an interface engine, an admin API). Every request carries an
 * Idempotency-Key, so the retries Temporal makes are safe. Errors name the system and status
 * only: a response body may hold patient data and never leaves this module (a downtime
 * snapshot's goes into the packet, whose content only responders download).
 */
export function createHttpAdapter(env: Record<string, string | undefined>, fetchImpl: typeof fetch = fetch): HospitalAdapter {
  const headerValue = (v: HeaderValue, name: string): string => {
    if (typeof v === 'string') return v;
    const secret = env[v.secretEnv];
    if (!secret) throw new AdapterFailure(ErrorType.InvalidInput, `header ${name}: environment variable ${v.secretEnv} is not set`);
    return secret;
  };
  const httpSpec = (adapter: Adapter): HttpAdapterSpec => {
    if (adapter.kind !== 'http') throw new Error('not an http adapter');
    return adapter;
  };

  /** Sends one request; answers the body of a 2xx or of a 409 (done already: `conflict`), throws otherwise. */
  async function send(
    adapter: HttpAdapterSpec,
    request: HttpRequest,
    values: TemplateValues,
    idempotencyKey: string,
    system: string,
    what: string,
  ): Promise<{ text: string; conflict: boolean }> {
    const headers: Record<string, string> = { 'idempotency-key': idempotencyKey, accept: 'application/json' };
    for (const [name, value] of Object.entries(adapter.headers)) headers[name] = headerValue(value, name);
    if (request.body !== undefined) headers['content-type'] ??= 'application/json';
    const url = new URL(
      renderTemplate(request.path, values).replace(/^\//, ''),
      adapter.baseUrl.endsWith('/') ? adapter.baseUrl : `${adapter.baseUrl}/`,
    );
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : renderTemplate(request.body, values),
        signal: AbortSignal.timeout(adapter.timeoutMs),
      });
    } catch (err) {
      // Network trouble and timeouts are worth retrying.
      throw new Error(`${system} unreachable (${(err as { name?: string }).name ?? 'error'})`);
    }
    const text = await res.text();
    const label = `${system} answered ${res.status} to ${what}`;
    if (res.status === 409 || res.ok) return { text, conflict: res.status === 409 };
    if (res.status === 408 || res.status === 425 || res.status === 429 || res.status >= 500) throw new Error(label);
    throw new AdapterFailure(ErrorType.AdapterRejected, label, { status: res.status });
  }

  const downtimeRequest = (
    call: DowntimeCall,
    which: 'enter' | 'leave',
  ): { spec: HttpAdapterSpec; request: HttpRequest; values: TemplateValues } => {
    const spec = httpSpec(call.adapter);
    // Downtime endpoints differ per vendor: without them in the plan the department's team switches by hand.
    if (!spec.downtime) throw new AdapterFailure(ErrorType.AdapterRejected, `adapter ${spec.id} (http) has no downtime operations`);
    return {
      spec,
      request: spec.downtime[which],
      values: { department: call.department, programId: call.programId, step: 'downtime', attempt: call.emergency },
    };
  };

  return {
    async run(call: StepCall): Promise<StepOutcome> {
      const spec = httpSpec(call.adapter);
      const request = call.direction === 'do' ? call.step.request : call.step.compensation.request;
      if (!request) throw new AdapterFailure(ErrorType.InvalidInput, `step ${call.step.id} has no http request for ${call.direction}`);
      // The settings and the request are checked above; a rehearsal stops before the system is called.
      if (call.dryRun) return { alreadyDone: false, dryRun: true };
      const values = { department: call.department, step: call.step.id, programId: call.programId, attempt: call.attempt };
      const answer = await send(spec, request, values, call.idempotencyKey, call.step.system, `${call.direction} ${call.step.id}`);
      if (answer.conflict) return { alreadyDone: true };
      let reference: string | undefined;
      try {
        const ref = (JSON.parse(answer.text) as { reference?: unknown }).reference;
        if (typeof ref === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(ref)) reference = ref;
      } catch {
        // A body that is not JSON carries no reference.
      }
      return { reference, alreadyDone: false };
    },

    async enterDowntime(call: DowntimeCall): Promise<DowntimeSnapshot> {
      const { spec, request, values } = downtimeRequest(call, 'enter');
      const answer = await send(spec, request, values, call.idempotencyKey, spec.id, `downtime enter for ${call.department}`);
      // A 409 (on downtime already) must carry the snapshot too: the packet needs it.
      let body: unknown;
      try {
        body = JSON.parse(answer.text);
      } catch {
        body = undefined;
      }
      const snapshot = Snapshot.safeParse(body);
      // The issues are left out: they may quote the patient data they refused.
      if (!snapshot.success)
        throw new AdapterFailure(
          ErrorType.AdapterRejected,
          `${spec.id} answered downtime enter for ${call.department} without a snapshot ({ census, activeOrders, pendingResults })`,
        );
      return snapshot.data;
    },

    async leaveDowntime(call: DowntimeCall): Promise<void> {
      const { spec, request, values } = downtimeRequest(call, 'leave');
      // A 409 means it is off downtime already: done.
      await send(spec, request, values, call.idempotencyKey, spec.id, `downtime leave for ${call.department}`);
    },
  };
}
