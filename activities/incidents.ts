import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { onCallAt, type IncidentState, type ResolutionCode } from '../domain/escalation';
import { issueAckToken } from '../app/ack-tokens';
import { getRota, raiseIncident, type RaiseIncidentInput, type RaisedIncident } from '../app/incidents';
import { peopleTableResolver, type ResolvePeople, type StaffContact } from '../app/people';
import { chatTargetsOf, rotaChatTargets } from '../app/chat-channels';
import type { AlertVia, ChatTarget } from '../domain/chat';

export interface IncidentActivityDeps {
  pool: Pool;
  resolvePeople?: ResolvePeople;
}

export interface IncidentEvent {
  /** Computed by the workflow: a retried write lands once. */
  key: string;
  atMs: number;
  kind:
    | 'raised'
    /** An e-mail to this person is handed to the outbox; 'delivered' follows once SMTP accepted it. */
    | 'queued'
    /** The same, in rows written before 'queued' existed. */
    | 'notified'
    | 'no-address'
    | 'rota-missing'
    | 'delivered'
    | 'delivery-overdue'
    | 'delivery-failed'
    /** The incident was acknowledged or resolved while the e-mail was still queued: no more tries. */
    | 'send-stopped'
    | 'escalated'
    | 'leadership-told'
    | 'ladder-exhausted'
    | 'acknowledged'
    | 'resolution-overdue'
    | 'repeated'
    | 'resolved';
  level?: number;
  round?: number;
  personId?: string;
  /** Codes and counts only. */
  detail?: Record<string, string | number | boolean>;
}

export interface IncidentRowUpdate {
  status?: IncidentState;
  level?: number | null;
  round?: number | null;
  ownerId?: string | null;
  acknowledgedAtMs?: number | null;
  repeats?: number;
  resolvedAtMs?: number;
  resolvedBy?: string;
  resolutionCode?: ResolutionCode;
}

export interface OpenIncidentInput {
  incidentId: string;
  workflowId: string;
  programId: string;
  departments: string[];
  condition: string;
  severity: string;
  counts: Record<string, number>;
  /** Comparison domains (names from the plan); absent on incidents of other kinds. */
  domains?: string[];
  raisedBy: string;
  raisedAtMs: number;
}

export interface PrepareNoticesInput {
  incidentId: string;
  programId: string;
  /** `<workflowId>/<runId>/<level>/<round>`: the person id is appended per notice. */
  noticeKey: string;
  people: string[];
  /** A program rota whose people on call at `atMs` are added. */
  rota?: string;
  /** Workflow time: who is on call, and the timeline, follow the workflow's clock. */
  atMs: number;
  withAckTokens: boolean;
  /** Timeline entry per notified person. */
  notified?: { level?: number; round?: number; detail?: Record<string, string | number | boolean> };
}

export interface Recipient extends StaffContact {
  ackToken?: string;
  /** How the person wants alerts, and their chat channels (absent in histories from before chat). */
  via?: AlertVia;
  chats?: ChatTarget[];
}

export function createIncidentActivities({ pool, resolvePeople = peopleTableResolver(pool) }: IncidentActivityDeps) {
  async function record(incidentId: string, events: IncidentEvent[], update?: IncidentRowUpdate): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const e of events) {
        await client.query(
          `INSERT INTO incident_events (event_key, incident_id, at, kind, level, round, person_id, detail)
           VALUES ($1, $2, to_timestamp($3 / 1000.0), $4, $5, $6, $7, $8) ON CONFLICT (event_key) DO NOTHING`,
          [
            e.key,
            incidentId,
            e.atMs,
            e.kind,
            e.level ?? null,
            e.round ?? null,
            e.personId ?? null,
            e.detail ? JSON.stringify(e.detail) : null,
          ],
        );
      }
      if (update) {
        const cols: Record<string, unknown> = {
          status: update.status,
          level: update.level,
          round: update.round,
          owner_id: update.ownerId,
          acknowledged_at:
            update.acknowledgedAtMs === undefined ? undefined : update.acknowledgedAtMs === null ? null : new Date(update.acknowledgedAtMs),
          repeats: update.repeats,
          resolved_at: update.resolvedAtMs === undefined ? undefined : new Date(update.resolvedAtMs),
          resolved_by: update.resolvedBy,
          resolution_code: update.resolutionCode,
        };
        const set = Object.entries(cols).filter(([, v]) => v !== undefined);
        if (set.length) {
          await client.query(
            `UPDATE incidents SET ${set.map(([k], i) => `${k} = $${i + 2}`).join(', ')}, updated_at = now() WHERE id = $1`,
            [incidentId, ...set.map(([, v]) => v)],
          );
        }
        // A closed incident's acknowledge links die with it.
        if (update.status === 'resolved') {
          await client.query('UPDATE incident_ack_tokens SET expires_at = least(expires_at, now()) WHERE incident_id = $1', [incidentId]);
        }
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    } finally {
      client.release();
    }
  }

  return {
    async openIncident(input: OpenIncidentInput): Promise<void> {
      await pool.query(
        `INSERT INTO incidents (id, workflow_id, program_id, departments, condition, severity, counts, status, raised_by, raised_at, domains)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, to_timestamp($9 / 1000.0), $10) ON CONFLICT (id) DO NOTHING`,
        [
          input.incidentId,
          input.workflowId,
          input.programId,
          input.departments,
          input.condition,
          input.severity,
          JSON.stringify(input.counts),
          input.raisedBy,
          input.raisedAtMs,
          input.domains ?? [],
        ],
      );
      await record(input.incidentId, [
        { key: `${input.incidentId}/raised`, atMs: input.raisedAtMs, kind: 'raised', detail: { by: input.raisedBy } },
      ]);
    },

    async recordIncidentEvents(input: { incidentId: string; events: IncidentEvent[]; update?: IncidentRowUpdate }): Promise<void> {
      await record(input.incidentId, input.events, input.update);
    },

    /**
     * Who a notice goes to: the named people plus whoever the rota has on call at `atMs`,
     * with their addresses and, for notices that ask to acknowledge, a fresh single-use token each.
     */
    async prepareNotices(input: PrepareNoticesInput): Promise<{ recipients: Recipient[]; missing: string[]; groupChats: ChatTarget[] }> {
      const ids = new Set(input.people);
      const events: IncidentEvent[] = [];
      let groupChats: ChatTarget[] = [];
      if (input.rota) {
        const rota = await getRota(pool, input.programId, input.rota);
        // The rota's group chat hears of the level even when nobody is on call in it.
        groupChats = await rotaChatTargets(pool, input.programId, input.rota);
        if (rota) onCallAt(rota, input.atMs).people.forEach((p) => ids.add(p));
        else
          events.push({
            key: `${input.noticeKey}/rota-missing`,
            atMs: input.atMs,
            kind: 'rota-missing',
            ...input.notified,
            detail: { rota: input.rota },
          });
      }
      const [found, alerting] = await Promise.all([resolvePeople([...ids]), chatTargetsOf(pool, [...ids])]);
      const byId = new Map(found.map((p) => [p.personId, p]));
      const recipients: Recipient[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const person = byId.get(id);
        if (!person) {
          missing.push(id);
          events.push({
            key: `${input.noticeKey}/${id}/no-address`,
            atMs: input.atMs,
            kind: 'no-address',
            personId: id,
            ...input.notified,
          });
          continue;
        }
        const ackToken = input.withAckTokens
          ? await issueAckToken(pool, { noticeKey: `${input.noticeKey}/${id}`, incidentId: input.incidentId, personId: id })
          : undefined;
        const alerts = alerting.get(id);
        recipients.push({
          ...person,
          ...(ackToken ? { ackToken } : {}),
          ...(alerts?.chats.length ? { via: alerts.via, chats: alerts.chats } : {}),
        });
        // Queued, not yet sent: the workflow records 'delivered' when SMTP accepts the e-mail.
        if (input.notified)
          events.push({ key: `${input.noticeKey}/${id}/notified`, atMs: input.atMs, kind: 'queued', personId: id, ...input.notified });
      }
      await record(input.incidentId, events);
      return { recipients, missing, groupChats };
    },

    /** For workflows, which cannot signalWithStart themselves: the worker's own client, on its own task queue. */
    async raiseIncident(input: RaiseIncidentInput): Promise<RaisedIncident> {
      const ctx = Context.current();
      return raiseIncident(ctx.client, ctx.info.taskQueue, input);
    },
  };
}
