/**
 * Command-center sign-in: a person's bearer token is exchanged once for a session cookie
 * (http-only, Secure, SameSite=Strict), so the token is never kept by the page. Every
 * state-changing request made with the cookie must also carry the session's CSRF token in a
 * header, which another site can neither read nor guess; SameSite alone is not relied on.
 * Sessions end on sign-out, after SESSION_TTL_HOURS, or when their token or person is
 * revoked or disabled.
 */
import type { Locale } from '../domain/i18n';
import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Principal, Role } from '../domain/people';
import { tokenOwner } from '../app/people';

export const SESSION_COOKIE = 'golive_session';
export const CSRF_HEADER = 'X-CSRF-Token';
/** A long shift; a command center signs in again at hand-over. */
export const SESSION_TTL_HOURS = 12;
const cookieValuePattern = /^[A-Za-z0-9_-]{43}$/;

const hashSession = (value: string) => createHash('sha256').update(`session:${value}`).digest('hex');

export interface Session {
  principal: Principal;
  csrfToken: string;
  expiresAt: string;
}

/** Exchanges a bearer token for a new session; undefined when the token is not valid. */
export async function signIn(pool: Pool, token: string): Promise<(Session & { cookieValue: string }) | undefined> {
  const owner = await tokenOwner(pool, token);
  if (!owner) return undefined;
  const cookieValue = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const inserted = await pool.query<{ expires_at: Date }>(
    `INSERT INTO ui_session (id_hash, person_id, token_id, csrf_token, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5)) RETURNING expires_at`,
    [hashSession(cookieValue), owner.principal.personId, owner.tokenId, csrfToken, SESSION_TTL_HOURS],
  );
  return { cookieValue, csrfToken, expiresAt: inserted.rows[0]!.expires_at.toISOString(), principal: owner.principal };
}

/** The live session behind a cookie value (one indexed query, no cache: sign-out and revocation act at once). */
export async function findSession(pool: Pool, cookieValue: string): Promise<Session | undefined> {
  if (!cookieValuePattern.test(cookieValue)) return undefined;
  const res = await pool.query<{
    id: string;
    display_name: string;
    email: string;
    roles: Role[];
    locale: Locale | null;
    csrf_token: string;
    expires_at: Date;
  }>(
    `SELECT p.id, p.display_name, p.email, p.roles, p.locale, s.csrf_token, s.expires_at
       FROM ui_session s JOIN people p ON p.id = s.person_id JOIN api_tokens t ON t.id = s.token_id
      WHERE s.id_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now() AND t.revoked_at IS NULL AND NOT p.disabled`,
    [hashSession(cookieValue)],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  return {
    principal: { personId: row.id, displayName: row.display_name, email: row.email, roles: row.roles, locale: row.locale },
    csrfToken: row.csrf_token,
    expiresAt: row.expires_at.toISOString(),
  };
}

export async function signOut(pool: Pool, cookieValue: string): Promise<void> {
  if (!cookieValuePattern.test(cookieValue)) return;
  await pool.query('UPDATE ui_session SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL', [hashSession(cookieValue)]);
}

/** Our cookie's value from a Cookie header (express 5 parses no cookies by itself). */
export function sessionCookieValue(cookieHeader: string | undefined): string | undefined {
  for (const part of (cookieHeader ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === SESSION_COOKIE) return rest.join('=');
  }
  return undefined;
}

export function sessionCookie(value: string, expiresAt: string): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; Secure; SameSite=Strict; Expires=${new Date(expiresAt).toUTCString()}`;
}

export const clearedSessionCookie = `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;
