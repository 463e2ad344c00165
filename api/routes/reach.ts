/**
 * How golive reaches people, over the API: a lead sets a rota's group chat; every person sets
 * their own chat channels, how the ladder reaches them and the language they read. URLs and
 * secrets go in and never come back out.
 */
import { z } from 'zod';
import { ChatChannelTaken, listChatChannels, putChatChannel, removeChatChannel, setAlertVia } from '../../app/chat-channels';
import { AlertVia, ChatChannelBody, ChatChannelInput, ChatKind, type ChatChannelOwner } from '../../domain/chat';
import { Code, RotaName } from '../../domain/escalation';
import { roleGroups } from '../../domain/permissions';
import { ProgramParams } from '../../domain/program-contract';
import { getRota } from '../../app/incidents';
import { setPersonLocale } from '../../app/people';
import { locales } from '../../domain/i18n';
import { HttpError } from '../errors';
import { route, type RequestContext } from '../route';

const { everyone, leads } = roleGroups;
const RotaChannelParams = ProgramParams.extend({ name: RotaName, channelId: Code });
const MyChannelParams = z.object({ channelId: Code });
const ChannelSummary = z.object({
  id: z.string(),
  kind: ChatKind,
  host: z.string().describe('The webhook host; the URL and secret are never shown'),
  enabled: z.boolean(),
});
const Listing = z.object({ channels: z.array(ChannelSummary) });

const principal = (ctx: RequestContext) => ctx.res.locals.principal!;

async function put(ctx: RequestContext, owner: ChatChannelOwner, id: string, body: unknown) {
  const parsed = ChatChannelInput.parse({ ...(body as object), id });
  try {
    const { created } = await putChatChannel(ctx.deps.pool, owner, parsed);
    return { status: created ? 201 : 200, body: { id, kind: parsed.kind, host: new URL(parsed.url).host, enabled: true } } as const;
  } catch (err) {
    if (err instanceof ChatChannelTaken) throw new HttpError(409, 'channel_taken', 'this channel id belongs to another person or rota');
    throw err;
  }
}

const summaries = async (ctx: RequestContext, owner: ChatChannelOwner) =>
  (await listChatChannels(ctx.deps.pool, owner)).map(({ owner: _o, ...c }) => c);

export const reachRoutes = [
  route({
    method: 'get',
    path: '/v1/programs/{programId}/rotas/{name}/channels',
    summary: "A rota's group chats (kind and host)",
    tags: ['incidents'],
    roles: everyone,
    params: ProgramParams.extend({ name: RotaName }),
    responses: { 200: { description: 'Channels', schema: Listing } },
    async handle({ params, ctx }) {
      return { status: 200, body: { channels: await summaries(ctx, { programId: params.programId, rota: params.name }) } };
    },
  }),
  route({
    method: 'put',
    path: '/v1/programs/{programId}/rotas/{name}/channels/{channelId}',
    summary: "Set a rota's group chat (a WeCom or DingTalk robot, or a signed webhook): told whenever a ladder level names the rota",
    tags: ['incidents'],
    roles: leads,
    params: RotaChannelParams,
    body: ChatChannelBody,
    responses: {
      200: { description: 'Replaced', schema: ChannelSummary },
      201: { description: 'Added', schema: ChannelSummary },
      404: { description: 'No such rota (a channel of a mistyped rota would never be told anything)' },
      409: { description: "The channel id is another person's or rota's" },
    },
    async handle({ params, body, ctx }) {
      if (!(await getRota(ctx.deps.pool, params.programId, params.name))) throw new HttpError(404, 'not_found', 'no such rota');
      return put(ctx, { programId: params.programId, rota: params.name }, params.channelId, body);
    },
  }),
  route({
    method: 'delete',
    path: '/v1/programs/{programId}/rotas/{name}/channels/{channelId}',
    summary: "Remove a rota's group chat",
    tags: ['incidents'],
    roles: leads,
    params: RotaChannelParams,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No such channel of this rota' } },
    async handle({ params, ctx }) {
      if (!(await removeChatChannel(ctx.deps.pool, { programId: params.programId, rota: params.name }, params.channelId)))
        throw new HttpError(404, 'not_found', 'no such channel of this rota');
      return { status: 204 };
    },
  }),
  route({
    method: 'get',
    path: '/v1/me/channels',
    summary: 'My chat channels (kind and host)',
    tags: ['session'],
    roles: everyone,
    responses: { 200: { description: 'Channels', schema: Listing } },
    async handle({ ctx }) {
      return { status: 200, body: { channels: await summaries(ctx, { personId: principal(ctx).personId }) } };
    },
  }),
  route({
    method: 'put',
    path: '/v1/me/channels/{channelId}',
    summary: 'Add or replace one of my chat channels',
    tags: ['session'],
    roles: everyone,
    params: MyChannelParams,
    body: ChatChannelBody,
    responses: {
      200: { description: 'Replaced', schema: ChannelSummary },
      201: { description: 'Added', schema: ChannelSummary },
      409: { description: "The channel id is another person's or rota's" },
    },
    handle: ({ params, body, ctx }) => put(ctx, { personId: principal(ctx).personId }, params.channelId, body),
  }),
  route({
    method: 'delete',
    path: '/v1/me/channels/{channelId}',
    summary: 'Remove one of my chat channels',
    tags: ['session'],
    roles: everyone,
    params: MyChannelParams,
    responses: { 204: { description: 'Removed' }, 404: { description: 'No such channel of mine' } },
    async handle({ params, ctx }) {
      if (!(await removeChatChannel(ctx.deps.pool, { personId: principal(ctx).personId }, params.channelId)))
        throw new HttpError(404, 'not_found', 'no such channel of yours');
      return { status: 204 };
    },
  }),
  route({
    method: 'put',
    path: '/v1/me/alerts',
    summary: 'How the escalation ladder reaches me: email, chat or both (chat alone falls back to e-mail when no channel takes it)',
    tags: ['session'],
    roles: everyone,
    body: z.object({ via: AlertVia }),
    responses: { 200: { description: 'Stored', schema: z.object({ via: AlertVia }) } },
    async handle({ body, ctx }) {
      await setAlertVia(ctx.deps.pool, principal(ctx).personId, body.via);
      return { status: 200, body };
    },
  }),
  route({
    method: 'put',
    path: '/v1/me/locale',
    summary: "The language I read (e-mails, chat messages, the command center); null: the hospital's",
    tags: ['session'],
    roles: everyone,
    body: z.object({ locale: z.enum(locales).nullable() }),
    responses: { 200: { description: 'Stored', schema: z.object({ locale: z.enum(locales).nullable() }) } },
    async handle({ body, ctx }) {
      await setPersonLocale(ctx.deps.pool, principal(ctx).personId, body.locale);
      return { status: 200, body };
    },
  }),
];
