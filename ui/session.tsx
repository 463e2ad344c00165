import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Locale } from '../domain/i18n';

export type Role = 'admin' | 'lead' | 'oncall' | 'leadership' | 'viewer';

export interface SignedIn {
  person: { personId: string; displayName: string; roles: Role[]; locale: Locale | null };
  /** The hospital's zone, for times outside a program's pages. */
  timeZone: string;
  csrfToken: string;
  expiresAt: string;
}

export const SessionContext = createContext<SignedIn | null>(null);

export function useSession(): SignedIn {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Buttons follow the API's roles; the API refuses anyway, the page just does not offer what would be refused. */
export function useCan(...roles: Role[]): boolean {
  return useSession().person.roles.some((r) => roles.includes(r));
}
