/**
 * The page's only way to the server: the same /v1 API as every other client, with the session
 * cookie, the session's CSRF token on every change, and an Idempotency-Key per action so a
 * double click or a retried request acts once.
 */
export interface FieldIssue {
  path: string;
  rule: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
  get issues(): FieldIssue[] {
    return Array.isArray(this.body.issues) ? (this.body.issues as FieldIssue[]) : [];
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

export function configureApi(options: { csrfToken: string; onSignedOut: () => void }): void {
  csrfToken = options.csrfToken;
  onSignedOut = options.onSignedOut;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['x-csrf-token'] = csrfToken;
    if (method === 'POST') headers['idempotency-key'] = idempotencyKey ?? crypto.randomUUID();
  }
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/v1/session')) onSignedOut();
    throw new ApiError(res.status, String(json.error ?? 'error'), String(json.message ?? `the server answered ${res.status}`), json);
  }
  return json as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}, idempotencyKey?: string) => api<T>('POST', path, body, idempotencyKey);
