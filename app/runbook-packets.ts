/**
 * Runbook paper packets: stored when a run starts (like the downtime packets: built once, kept in
 * PostgreSQL, fetched by the people entitled to them) and rendered as a page to print. They hold
 * the team's words about work and staff names, no patient data.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
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
 * The packet as a page to print: a line per task with its code, planned times in the hospital's
 * zone, predecessors, a tick box, and a signature line (two for a two-person task) with the time
 * done; the owners by rota are named as resolved at the run's start.
 */
export function packetHtml(packet: RunbookPacket, names: Record<string, string>): string {
  const who = (id: string) => escapeHtml(names[id] ? `${names[id]} (${id})` : id);
  const owners = (t: PacketTask) =>
    t.owners.length === 0
      ? `nobody on call for rota ${escapeHtml(t.rota ?? '')} at the run's start`
      : `${t.owners.map(who).join(', ')}${t.rota ? ` <small>(rota ${escapeHtml(t.rota)}, on call at the run's start)</small>` : ''}`;
  const signature = (n: number) =>
    Array.from({ length: n }, (_, i) => `<span class="line">${n === 2 ? `${i + 1}. ` : ''}signature / time</span>`).join('');
  const rows = packet.tasks.map(
    (t) => `<tr id="task-${escapeHtml(t.id)}">
<td class="box">${t.checkedOff ? '&#9744;' : ''}</td>
<td class="code">${escapeHtml(t.id)}</td>
<td>${escapeHtml(t.title)}${t.department ? `<br><small>${escapeHtml(t.department)}</small>` : ''}<br><small>${escapeHtml(t.kind)}${t.signOff === 2 ? ', two people sign' : ''}</small></td>
<td>${localTime(t.plannedStartMs, packet.timeZone)}</td>
<td>${localTime(t.plannedFinishMs, packet.timeZone)}</td>
<td class="code">${t.predecessors.map(escapeHtml).join(' ') || '&ndash;'}</td>
${packet.owner === wholeNight ? `<td>${owners(t)}</td>` : ''}
<td class="sign">${t.checkedOff ? signature(t.signOff) : '<small>finishes by itself</small>'}</td>
</tr>`,
  );
  const title = `${packet.runbookTitle}: ${packet.owner === wholeNight ? 'the whole night' : who(packet.owner)}`;
  const rota = packet.tasks.some((t) => t.rota)
    ? `<p>Tasks owned by a rota are listed under whoever that rota had on call at the run's start (${localTime(packet.resolvedAtMs, packet.timeZone)}); the person on call when a task becomes ready may be someone else.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(packet.runbookTitle)} (${escapeHtml(packet.runId)}) paper packet</title><style>${packetStyle}</style></head>
<body>
${packet.mode === 'rehearsal' ? '<p class="rehearsal">REHEARSAL: nothing in the hospital changes.</p>' : ''}
<h1>${packet.owner === wholeNight ? escapeHtml(title) : `${escapeHtml(packet.runbookTitle)}: ${who(packet.owner)}`}</h1>
<p>Program ${escapeHtml(packet.programId)}, run ${escapeHtml(packet.runId)} (runbook ${escapeHtml(packet.runbookId)}). Window ${localTime(packet.windowStartMs, packet.timeZone)} to ${localTime(packet.windowEndMs, packet.timeZone)}, times in ${escapeHtml(packet.timeZone)}.</p>
${rota}
<p>Tick each task when it is done, sign and write the time. A lead enters this sheet into golive afterwards (scribe mode), with the time you wrote.</p>
<table><thead><tr><th>done</th><th>code</th><th>task</th><th>planned start</th><th>planned end</th><th>after</th>${packet.owner === wholeNight ? '<th>owner</th>' : ''}<th>signature, time</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>
</body></html>
`;
}
