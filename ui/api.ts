/**
 * The page's only way to the server: the same /v1 API as every other client, with the session
 * cookie, the session's CSRF token on every change, and an Idempotency-Key per action so a
 * double click or a retried request acts once.
 */
import { isLocale, t } from '../domain/i18n';
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

let language = 'en';

export function configureApi(options: { csrfToken: string; onSignedOut: () => void }): void {
  csrfToken = options.csrfToken;
  onSignedOut = options.onSignedOut;
}

/** The API words its messages in the page's language (codes stay the same). */
export function setApiLanguage(locale: string): void {
  language = locale;
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'accept-language': language };
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
  return (await answerOf(res, path)) as T;
}

async function answerOf(res: Response, path: string): Promise<unknown> {
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {};
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/v1/session')) onSignedOut();
    throw new ApiError(
      res.status,
      String(json.error ?? 'error'),
      String(json.message ?? t(isLocale(language) ? language : 'en', 'ui.error.serverAnswered', { status: res.status })),
      json,
    );
  }
  return json;
}

export type Revalidated<T> = { changed: false } | { changed: true; data: T; etag: string | undefined };

/**
 * A GET that sends the ETag of the answer the page already shows: the server answers 304 with no
 * body while the state is unchanged (read routes with `etag`, api/route.ts), else the new state.
 */
export async function getIfChanged<T>(path: string, etag: string | undefined): Promise<Revalidated<T>> {
  const headers: Record<string, string> = { accept: 'application/json', 'accept-language': language };
  if (etag) headers['if-none-match'] = etag;
  const res = await fetch(path, { method: 'GET', headers, credentials: 'same-origin' });
  if (res.status === 304) return { changed: false };
  const data = (await answerOf(res, path)) as T;
  return { changed: true, data, etag: res.headers.get('etag') ?? undefined };
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}, idempotencyKey?: string) => api<T>('POST', path, body, idempotencyKey);
