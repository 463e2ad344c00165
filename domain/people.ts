import { z } from 'zod';
import type { Locale } from './i18n';

/** The roles of the three governance layers (decision, management, execution) plus admin and viewer. */
export const Role = z.enum(['admin', 'lead', 'oncall', 'leadership', 'viewer']);
export type Role = z.infer<typeof Role>;

const personIdShape = '[a-z0-9][a-z0-9._-]{1,63}';

/** An opaque person id (never a name or an e-mail address: it appears in URLs and logs). */
export const PersonId = z.string().regex(new RegExp(`^${personIdShape}$`), 'must be an opaque id: lower-case letters, digits, . _ -');

/** How many people one name look-up may ask for: a page shows far fewer, and the query stays small. */
export const maxPersonIdsPerLookup = 200;

/**
 * Person ids in one query parameter, comma-separated ("a,b,c"), given as one pattern so the
 * OpenAPI document states the whole rule; parsed into the distinct ids.
 */
export const PersonIdList = z
  .string()
  .regex(
    new RegExp(`^${personIdShape}(,${personIdShape}){0,${maxPersonIdsPerLookup - 1}}$`),
    `must be 1 to ${maxPersonIdsPerLookup} person ids, comma-separated (lower-case letters, digits, . _ -)`,
  )
  .transform((s) => [...new Set(s.split(','))]);

/**
 * Who asks, as a workflow sees it: set by the API from the authenticated person, never taken
 * from a request body. The one Actor type of program updates, incidents and parallel runs.
 */
export const Actor = z.object({ personId: PersonId, roles: z.array(Role).min(1) });
export type Actor = z.infer<typeof Actor>;

/** An actor with the name that people are shown (the incident's owner, who resolved it). */
export const NamedActor = Actor.extend({ displayName: z.string().min(1).max(100) });
export type NamedActor = z.infer<typeof NamedActor>;

/** Who is calling, as the API authenticated them. */
export interface Principal extends NamedActor {
  email: string;
  /** The language they read; null or absent: the hospital's. */
  locale?: Locale | null;
}

/** What a workflow gets of the principal: its id and roles, nothing to mail or show. */
export const actorOf = (p: Principal): Actor => ({ personId: p.personId, roles: p.roles });
export const namedActorOf = (p: Principal): NamedActor => ({ personId: p.personId, displayName: p.displayName, roles: p.roles });

/** Whether the actor holds any of `roles`. */
export const hasAnyRole = (actor: Pick<Actor, 'roles'>, roles: readonly Role[]): boolean => actor.roles.some((r) => roles.includes(r));
