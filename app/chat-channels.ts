/**
 * The chat channels' store: people and rotas keep webhooks here, the incident activities read
 * them at send time. URL and secret never leave this module towards a client: listings show the
 * kind and the host only.
 */
import type { Pool } from 'pg';
import { ChatChannelInput, ChatChannelOwner, type AlertVia, type ChatKind, type ChatTarget } from '../domain/chat';

export interface ChatChannelSummary {
  id: string;
  kind: ChatKind;
  host: string;
  enabled: boolean;
  owner: ChatChannelOwner;
}

/** Adds the channel or replaces the one with its id (same owner): a robot's key rotates, the id stays. */
export async function putChatChannel(pool: Pool, owner: ChatChannelOwner, input: ChatChannelInput): Promise<{ created: boolean }> {
  const c = ChatChannelInput.parse(input);
  const o = ChatChannelOwner.parse(owner);
  const [personId, programId, rota] = 'personId' in o ? [o.personId, null, null] : [null, o.programId, o.rota];
  const res = await pool.query<{ created: boolean }>(
    `INSERT INTO chat_channels (id, person_id, program_id, rota_name, kind, url, secret) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, url = EXCLUDED.url, secret = EXCLUDED.secret, enabled = true
       WHERE chat_channels.person_id IS NOT DISTINCT FROM EXCLUDED.person_id
         AND chat_channels.program_id IS NOT DISTINCT FROM EXCLUDED.program_id
         AND chat_channels.rota_name IS NOT DISTINCT FROM EXCLUDED.rota_name
     RETURNING (xmax = 0) AS created`,
    [c.id, personId, programId, rota, c.kind, c.url, c.secret ?? null],
  );
  if (res.rowCount !== 1) throw new ChatChannelTaken(c.id);
  return { created: res.rows[0]!.created };
}

/** The id is another owner's channel: ids are global so that the outbox can name them. */
export class ChatChannelTaken extends Error {
  constructor(readonly channelId: string) {
    super(`chat channel ${channelId} belongs to someone else`);
  }
}

export async function removeChatChannel(pool: Pool, owner: ChatChannelOwner, id: string): Promise<boolean> {
  const o = ChatChannelOwner.parse(owner);
  const res =
    'personId' in o
      ? await pool.query('DELETE FROM chat_channels WHERE id = $1 AND person_id = $2', [id, o.personId])
      : await pool.query('DELETE FROM chat_channels WHERE id = $1 AND program_id = $2 AND rota_name = $3', [id, o.programId, o.rota]);
  return res.rowCount === 1;
}

type Row = {
  id: string;
  kind: ChatKind;
  url: string;
  enabled: boolean;
  person_id: string | null;
  program_id: string | null;
  rota_name: string | null;
};
const summary = (r: Row): ChatChannelSummary => ({
  id: r.id,
  kind: r.kind,
  host: new URL(r.url).host,
  enabled: r.enabled,
  owner: r.person_id ? { personId: r.person_id } : { programId: r.program_id!, rota: r.rota_name! },
});

export async function listChatChannels(pool: Pool, owner?: ChatChannelOwner): Promise<ChatChannelSummary[]> {
  const where = !owner
    ? ['', []]
    : 'personId' in owner
      ? ['WHERE person_id = $1', [owner.personId]]
      : ['WHERE program_id = $1 AND rota_name = $2', [owner.programId, owner.rota]];
  const { rows } = await pool.query<Row>(
    `SELECT id, kind, url, enabled, person_id, program_id, rota_name FROM chat_channels ${where[0]} ORDER BY id`,
    where[1] as unknown[],
  );
  return rows.map(summary);
}

export async function setAlertVia(pool: Pool, personId: string, via: AlertVia): Promise<boolean> {
  const res = await pool.query('UPDATE people SET alert_via = $2, updated_at = now() WHERE id = $1', [personId, via]);
  return res.rowCount === 1;
}

/** Each person's way of being alerted and their enabled channels (people not in the table: e-mail, none). */
export async function chatTargetsOf(pool: Pool, personIds: string[]): Promise<Map<string, { via: AlertVia; chats: ChatTarget[] }>> {
  const { rows } = await pool.query<{ id: string; via: AlertVia; chats: ChatTarget[] }>(
    `SELECT p.id, p.alert_via AS via,
            coalesce(json_agg(json_build_object('channelId', c.id, 'kind', c.kind) ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '[]') AS chats
       FROM people p LEFT JOIN chat_channels c ON c.person_id = p.id AND c.enabled
      WHERE p.id = ANY($1) GROUP BY p.id, p.alert_via`,
    [personIds],
  );
  return new Map(rows.map((r) => [r.id, { via: r.via, chats: r.chats }]));
}

export async function rotaChatTargets(pool: Pool, programId: string, rota: string): Promise<ChatTarget[]> {
  const { rows } = await pool.query<ChatTarget>(
    `SELECT id AS "channelId", kind FROM chat_channels WHERE program_id = $1 AND rota_name = $2 AND enabled ORDER BY id`,
    [programId, rota],
  );
  return rows;
}

/** The channel as the sender needs it, or undefined when it was removed or disabled since. */
export async function chatChannelForSend(
  pool: Pool,
  id: string,
): Promise<{ kind: ChatKind; url: string; secret: string | null } | undefined> {
  const { rows } = await pool.query<{ kind: ChatKind; url: string; secret: string | null }>(
    'SELECT kind, url, secret FROM chat_channels WHERE id = $1 AND enabled',
    [id],
  );
  return rows[0];
}
