import { z } from 'zod';

/** The roles of the three governance layers (decision, management, execution) plus admin and viewer. */
export const Role = z.enum(['admin', 'lead', 'oncall', 'leadership', 'viewer']);
export type Role = z.infer<typeof Role>;

/** An opaque person id (never a name or an e-mail address: it appears in URLs and logs). */
export const PersonId = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'must be an opaque id: lower-case letters, digits, . _ -');

/** Who is calling, as the API authenticated them. */
export interface Principal {
  personId: string;
  displayName: string;
  email: string;
  roles: Role[];
}
