/**
 * Runbook paper packets: stored when a run starts (like the downtime packets: built once, kept in
 * PostgreSQL, fetched by the people entitled to them) and rendered as a page to print. They hold
 * the team's words about work and staff names, no patient data.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { t, type Locale, type MessageKey, type Values } from '../domain/i18n';
import { wholeNight, type PacketTask, type RunbookPacket } from '../domain/runbook-packets';

/** Idempotent: a retried store keeps the packets the first one built. */
export async function storeRunbookPackets(pool: Pool, packets: RunbookPacket[]): Promise<number> {
  if (packets.length === 0) return 0;
  const { rowCount } = await pool.query(
    `INSERT INTO runbook_packet (program_id, run_id, person_id, task_count, content)
     SELECT p->>'programId', p->>'runId', p->>'owner', jsonb_array_length(p->'tasks'), p FROM jsonb_array_elements($1::jsonb) AS p
     ON CONFLICT (program_id, run_id, person_id) DO NOTHING`,
    [JSON.stringify(packets)],
  );
  return rowCount ?? 0;
}

export interface PacketSummary {
  owner: string;
  tasks: number;
  builtAt: string;
}

export async function listRunbookPackets(pool: Pool, programId: string, runId: string): Promise<PacketSummary[]> {
  const { rows } = await pool.query<{ person_id: string; task_count: number; created_at: Date }>(
    'SELECT person_id, task_count, created_at FROM runbook_packet WHERE program_id = $1 AND run_id = $2 ORDER BY person_id',
    [programId, runId],
  );
  return rows.map((r) => ({ owner: r.person_id, tasks: r.task_count, builtAt: r.created_at.toISOString() }));
}

export async function runbookPacket(pool: Pool, programId: string, runId: string, owner: string): Promise<RunbookPacket | undefined> {
  const { rows } = await pool.query<{ content: RunbookPacket }>(
    'SELECT content FROM runbook_packet WHERE program_id = $1 AND run_id = $2 AND person_id = $3',
    [programId, runId, owner],
  );
  return rows[0]?.content;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** "03-02 23:50": the hospital's wall clock (the zone is named once, in the packet's head). */
function localTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

const packetStyle = `
body{font-family:sans-serif;font-size:11pt;margin:1.5cm}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #444;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eee}
.code{font-family:monospace;font-weight:bold;white-space:nowrap}
.box{font-size:16pt;text-align:center}
.sign{min-width:5cm}
.line{display:block;border-bottom:1px solid #000;height:1.4em;margin-top:.3em}
.rehearsal{border:2px solid #000;padding:4px;font-weight:bold}
@media print{a{color:#000;text-decoration:none}}
`;

/** The page's Content-Security-Policy: nothing but its own style block. */
export const packetCsp = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(packetStyle).digest('base64')}'; base-uri 'none'; form-action 'none'`;

/**
 * The packet as a page to print, in `locale`: a line per task with its code, planned times in the
 * hospital's zone, predecessors, a tick box, and a signature line (two for a two-person task) with
 * the time done; the owners by rota are named as resolved at the run's start.
 */
export function packetHtml(packet: RunbookPacket, names: Record<string, string>, locale: Locale): string {
  const w = (key: MessageKey, values?: Values) => escapeHtml(t(locale, key, values));
  const at = (ms: number) => localTime(ms, packet.timeZone);
  const named = (id: string) => (names[id] ? `${names[id]} (${id})` : id);
  const who = (id: string) => escapeHtml(named(id));
  const night = packet.owner === wholeNight;
  const owners = (task: PacketTask) =>
    task.owners.length === 0
      ? w('runbookPacket.nobody', { rota: task.rota ?? '' })
      : `${task.owners.map(who).join(escapeHtml(t(locale, 'list.separator')))}${task.rota ? ` <small>${w('runbookPacket.rotaOwner', { rota: task.rota })}</small>` : ''}`;
  const signature = (n: number) =>
    n === 2
      ? [1, 2].map((i) => `<span class="line">${w('runbookPacket.signatureNumbered', { n: i })}</span>`).join('')
      : `<span class="line">${w('runbookPacket.signature')}</span>`;
  const rows = packet.tasks.map((task) =>
    [
      `<tr id="task-${escapeHtml(task.id)}">`,
      `<td class="box">${task.checkedOff ? '&#9744;' : ''}</td>`,
      `<td class="code">${escapeHtml(task.id)}</td>`,
      `<td>${escapeHtml(task.title)}${task.department ? `<br><small>${escapeHtml(task.department)}</small>` : ''}<br><small>${w(`runbook.kind.${task.kind}`)}${task.signOff === 2 ? `, ${w('runbookPacket.twoPeople')}` : ''}</small></td>`,
      `<td>${at(task.plannedStartMs)}</td>`,
      `<td>${at(task.plannedFinishMs)}</td>`,
      `<td class="code">${task.predecessors.map(escapeHtml).join(' ') || '&ndash;'}</td>`,
      ...(night ? [`<td>${owners(task)}</td>`] : []),
      `<td class="sign">${task.checkedOff ? signature(task.signOff) : `<small>${w('runbookPacket.selfFinishing')}</small>`}</td>`,
      '</tr>',
    ].join('\n'),
  );
  const columns: MessageKey[] = [
    'runbookPacket.column.done',
    'runbookPacket.column.code',
    'runbookPacket.column.task',
    'runbookPacket.column.start',
    'runbookPacket.column.end',
    'runbookPacket.column.after',
    ...(night ? (['runbookPacket.column.owner'] as const) : []),
    'runbookPacket.column.signature',
  ];
  const runbook = packet.runbookTitle;
  return [
    '<!doctype html>',
    `<html lang="${locale}"><head><meta charset="utf-8"><title>${w('runbookPacket.title', { runbook, run: packet.runId })}</title><style>${packetStyle}</style></head>`,
    '<body>',
    ...(packet.mode === 'rehearsal' ? [`<p class="rehearsal">${w('runbookPacket.rehearsal')}</p>`] : []),
    `<h1>${night ? w('runbookPacket.heading.night', { runbook }) : w('runbookPacket.heading.owner', { runbook, owner: named(packet.owner) })}</h1>`,
    `<p>${w('runbookPacket.about', { program: packet.programId, run: packet.runId, runbookId: packet.runbookId, from: at(packet.windowStartMs), to: at(packet.windowEndMs), zone: packet.timeZone })}</p>`,
    ...(packet.tasks.some((task) => task.rota) ? [`<p>${w('runbookPacket.rota', { time: at(packet.resolvedAtMs) })}</p>`] : []),
    `<p>${w('runbookPacket.howTo')}</p>`,
    `<table><thead><tr>${columns.map((c) => `<th>${w(c)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows,
    '</tbody></table>',
    '</body></html>',
    '',
  ].join('\n');
}
