/**
 * A runbook run's paper packets: a lead fetches any (and the whole night's), an owner their own.
 * A page to print (HTML) or the same as JSON.
 */
import { z } from 'zod';
import { listRunbookPackets, packetCsp, packetHtml, runbookPacket } from '../../app/runbook-packets';
import { readerLocale } from '../../app/locale';
import { Code } from '../../domain/escalation';
import { isLocale, locales } from '../../domain/i18n';
import { hasAnyRole } from '../../domain/people';
import { roleGroups } from '../../domain/permissions';
import { ProgramParams } from '../../domain/program-contract';
import { wholeNight } from '../../domain/runbook-packets';
import { HttpError } from '../errors';
import { programExists } from '../programs';
import { route, type AnyRoute, type RequestContext } from '../route';

const RunParams = ProgramParams.extend({ runId: Code });
const PacketParams = RunParams.extend({
  owner: z.string().regex(/^(_night|[a-z0-9][a-z0-9._-]{1,63})$/, "must be a person's id or _night (the whole night)"),
});

const isLead = (ctx: RequestContext) => hasAnyRole(ctx.principal!, roleGroups.leads);

export const listPacketsRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbook-runs/{runId}/packets',
  summary: "A run's paper packets (one per owner at the run's start, and the whole night's): a lead sees all, anyone else their own",
  tags: ['runbooks'],
  roles: roleGroups.everyone,
  params: RunParams,
  responses: {
    200: { description: 'The packets the caller may fetch' },
    404: { description: 'No such program, or no packets for this run' },
  },
  async handle({ params, ctx }) {
    await programExists(ctx.deps.pool, params.programId);
    const all = await listRunbookPackets(ctx.deps.pool, params.programId, params.runId);
    if (all.length === 0) throw new HttpError(404, 'not_found', `no paper packets for runbook run ${params.runId}`);
    const mine = isLead(ctx) ? all : all.filter((p) => p.owner === ctx.principal!.personId);
    const base = `/v1/programs/${params.programId}/runbook-runs/${params.runId}/packets`;
    return { status: 200, body: { packets: mine.map((p) => ({ ...p, href: `${base}/${p.owner}` })) } };
  },
});

export const getPacketRoute = route({
  method: 'get',
  path: '/v1/programs/{programId}/runbook-runs/{runId}/packets/{owner}',
  summary:
    "One owner's paper packet (or _night, the whole night: leads): their tasks in order, planned times in the hospital's zone, predecessors, a code per line, tick boxes and signature lines; a page to print, or JSON",
  tags: ['runbooks'],
  roles: roleGroups.everyone,
  params: PacketParams,
  query: z.strictObject({
    format: z.enum(['html', 'json']).default('html'),
    /** The page's language; by default the owner's (the whole night: the reader's), else the hospital's. */
    lang: z.enum(locales).optional(),
  }),
  responses: {
    200: { description: 'The packet: a page to print (text/html) or JSON', contentType: 'text/html' },
    403: { description: "Another person's packet, or the whole night's, asked for by someone who is not a lead" },
    404: { description: 'No such packet' },
  },
  async handle({ params, query, ctx }) {
    if (!isLead(ctx) && params.owner !== ctx.principal!.personId)
      throw new HttpError(403, 'packet_not_yours', "a packet is its owner's; leads fetch any");
    const packet = await runbookPacket(ctx.deps.pool, params.programId, params.runId, params.owner);
    if (!packet) throw new HttpError(404, 'not_found', 'no such packet');
    if (query.format === 'json') return { status: 200, body: packet };
    const reader = params.owner === wholeNight ? ctx.principal!.personId : params.owner;
    const ids = [...new Set([...packet.tasks.flatMap((t) => t.owners), reader])];
    const { rows } = await ctx.deps.pool.query<{ id: string; display_name: string; locale: string | null }>(
      'SELECT id, display_name, locale FROM people WHERE id = ANY($1)',
      [ids],
    );
    const own = rows.find((r) => r.id === reader)?.locale;
    const locale = query.lang ?? (await readerLocale(ctx.deps.pool, isLocale(own) ? own : null, params.programId));
    ctx.res
      .status(200)
      .set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': packetCsp, 'Cache-Control': 'no-store' })
      .send(packetHtml(packet, Object.fromEntries(rows.map((r) => [r.id, r.display_name])), locale));
    return { status: 200 };
  },
});

export const runbookPacketRoutes: AnyRoute[] = [listPacketsRoute, getPacketRoute];
