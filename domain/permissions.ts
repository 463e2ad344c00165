/**
 * Who may do what: the one permissions table. The API's routes (their 403s and the OpenAPI
 * document's "Roles:" line), the program updates' contracts (domain/program-contract.ts) and the
 * workflows' validators all read their role lists from here, so a route and the validator behind
 * it cannot disagree about who may call.
 */
import { Role } from './people';

export const roleGroups = {
  /** Every signed-in person: reads of the command center. */
  everyone: Role.options,
  /** The go-live's management layer: plans, evidence, waves, rollbacks, the parallel run. */
  leads: ['lead', 'admin'],
  /** Who acts in an emergency or an incident, and sends test e-mails. */
  responders: ['lead', 'oncall', 'admin'],
  /** Who may decide a gate (the gate's named approvers among them: the workflow checks the names). */
  approvers: ['leadership', 'lead', 'admin'],
  /** Who reads and verifies the audit trail. */
  auditors: ['admin', 'lead', 'leadership'],
  /** Who may own any incident, on its ladder or not. */
  incidentOwners: ['oncall', 'lead'],
} as const satisfies Record<string, readonly Role[]>;

export type RoleGroup = keyof typeof roleGroups;
