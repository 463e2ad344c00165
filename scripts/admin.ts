/**
 * The admin command line: people, tokens and the audit chain, straight on PostgreSQL.
 *   npm run admin -- person add --id p-lead-01 --name "Cutover Lead" --email lead@hospital.example --roles lead,viewer
 *   npm run admin -- token issue --person p-lead-01        (prints the token once)
 *   npm run admin -- token revoke --id tok_...  |  --person p-lead-01
 *   npm run admin -- people list
 *   npm run admin -- audit verify                           (exit 0 intact, 1 broken)
 *   npm run admin -- person alerts --id p-oncall-01 --via both    (email | chat | both)
 *   npm run admin -- channel add --person p-oncall-01 --id wang-wecom --kind wecom --url https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...
 *   GOLIVE_CHAT_SECRET=... npm run admin -- channel add --program p --rota night --id night-ding --kind dingtalk --url ...
 *   npm run admin -- channel list | channel remove --person p-oncall-01 --id wang-wecom
 * Changes to people and tokens are themselves audited, as actor 'admin-cli'.
 */
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type { Pool } from 'pg';
import { z } from 'zod';
import { addPerson, disablePerson, issueToken, listPeople, revokeToken, setPersonLocale } from '../app/people';
import { locales, type Locale } from '../domain/i18n';
import { listChatChannels, putChatChannel, removeChatChannel, setAlertVia } from '../app/chat-channels';
import { AlertVia, ChatChannelInput, ChatKind, type ChatChannelOwner } from '../domain/chat';
import { Role } from '../domain/people';
import { appendAudit, verifyAuditChain } from '../platform/audit';
import { loadAuditKey } from '../platform/audit-anchor';
import { loadConfig, ownerDatabaseUrl } from '../platform/config';
import { createPool } from '../platform/db';

const out = (line: string) => process.stdout.write(`${line}\n`);

function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = roles.filter((r) => !Role.safeParse(r).success);
  if (bad.length || !roles.length) throw new InvalidArgumentError(`roles are a comma-separated list of ${Role.options.join(', ')}`);
  return roles as Role[];
}

/** A value checked by its schema; the refusal names the option and the rule. */
function parseWith<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new InvalidArgumentError(r.error.issues.map((i) => `${[name, ...i.path].join('.')}: ${i.message}`).join('; '));
}

const flatOwner = (o: ChatChannelOwner): Record<string, string> =>
  'personId' in o ? { personId: o.personId } : { programId: o.programId, rota: o.rota };

/** Opens the pool for one command, as the tables' owner (an administrator's tool), and always closes it. */
async function withPool<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = createPool(ownerDatabaseUrl(loadConfig()), 2);
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

const auditAdmin = (pool: Pool, action: string, target: Record<string, string>, details?: Record<string, unknown>) =>
  appendAudit(pool, {
    actor: 'admin-cli',
    roles: ['admin'],
    action,
    target,
    result: 'done',
    details: { osUser: userInfo().username, ...details },
  });

function buildProgram(): Command {
  const program = new Command('admin').description('golive administration').showHelpAfterError();

  const person = program.command('person').description('people who may call the API');
  person
    .command('add')
    .description('add a person, or update their name, e-mail and roles (re-enables them)')
    .requiredOption('--id <id>', 'opaque person id, e.g. p-lead-01')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--email <email>', 'e-mail address')
    .requiredOption('--roles <roles>', `comma-separated: ${Role.options.join(', ')}`, parseRoles)
    .option('--locale <locale>', `the language they read: ${locales.join(' | ')} (default: the hospital's)`, (v) =>
      parseWith(z.enum(locales), v, '--locale'),
    )
    .action((o: { id: string; name: string; email: string; roles: Role[]; locale?: Locale }) =>
      withPool(async (pool) => {
        const { created } = await addPerson(pool, { id: o.id, displayName: o.name, email: o.email, roles: o.roles, locale: o.locale });
        await auditAdmin(pool, created ? 'person.added' : 'person.updated', { personId: o.id }, { roles: o.roles });
        out(`${created ? 'added' : 'updated'} ${o.id} (${o.roles.join(', ')})`);
      }),
    );
  person
    .command('disable')
    .description('disable a person: their tokens stop working')
    .requiredOption('--id <id>', 'person id')
    .action((o: { id: string }) =>
      withPool(async (pool) => {
        if (!(await disablePerson(pool, o.id))) throw new Error(`no person ${o.id}`);
        await auditAdmin(pool, 'person.disabled', { personId: o.id });
        out(`disabled ${o.id}`);
      }),
    );

  person
    .command('alerts')
    .description('how the escalation ladder reaches a person: email, chat, or both (chat alone falls back to e-mail)')
    .requiredOption('--id <id>', 'person id')
    .requiredOption('--via <via>', AlertVia.options.join(' | '), (v) => parseWith(AlertVia, v, '--via'))
    .action((o: { id: string; via: AlertVia }) =>
      withPool(async (pool) => {
        if (!(await setAlertVia(pool, o.id, o.via))) throw new Error(`no person ${o.id}`);
        await auditAdmin(pool, 'person.alerts-set', { personId: o.id }, { via: o.via });
        out(`${o.id} is alerted by ${o.via}`);
      }),
    );

  person
    .command('locale')
    .description("the language a person reads (e-mails, chat, the command center): zh-CN, en, or hospital (the plan's)")
    .requiredOption('--id <id>', 'person id')
    .requiredOption('--locale <locale>', `${locales.join(' | ')} | hospital`, (v) =>
      parseWith(z.enum([...locales, 'hospital']), v, '--locale'),
    )
    .action((o: { id: string; locale: Locale | 'hospital' }) =>
      withPool(async (pool) => {
        const locale = o.locale === 'hospital' ? null : o.locale;
        if (!(await setPersonLocale(pool, o.id, locale))) throw new Error(`no person ${o.id}`);
        await auditAdmin(pool, 'person.locale-set', { personId: o.id }, { locale: o.locale });
        out(`${o.id} reads ${o.locale}`);
      }),
    );

  const channel = program.command('channel').description("chat webhooks: a person's own, or a rota's group chat");
  const ownerOf = (o: { person?: string; program?: string; rota?: string }): ChatChannelOwner => {
    if (o.person && !o.program && !o.rota) return { personId: o.person };
    if (!o.person && o.program && o.rota) return { programId: o.program, rota: o.rota };
    throw new InvalidArgumentError('give --person, or --program with --rota');
  };
  channel
    .command('add')
    .description(
      'add or replace a channel; a secret (generic webhook, signed DingTalk robot) is read from GOLIVE_CHAT_SECRET, never from the command line',
    )
    .option('--person <id>', 'person id')
    .option('--program <id>', 'program id (with --rota)')
    .option('--rota <name>', 'rota name (with --program)')
    .requiredOption('--id <id>', 'channel id, e.g. wang-wecom')
    .requiredOption('--kind <kind>', ChatKind.options.join(' | '))
    .requiredOption('--url <url>', "the webhook's URL")
    .action((o: { person?: string; program?: string; rota?: string; id: string; kind: string; url: string }) =>
      withPool(async (pool) => {
        const owner = ownerOf(o);
        const input = parseWith(
          ChatChannelInput,
          { id: o.id, kind: o.kind, url: o.url, secret: process.env.GOLIVE_CHAT_SECRET || undefined },
          'channel',
        );
        const { created } = await putChatChannel(pool, owner, input);
        await auditAdmin(
          pool,
          created ? 'chat-channel.added' : 'chat-channel.replaced',
          { channelId: o.id, ...flatOwner(owner) },
          { kind: input.kind },
        );
        out(`${created ? 'added' : 'replaced'} ${input.kind} channel ${o.id}`);
      }),
    );
  channel
    .command('remove')
    .option('--person <id>', 'person id')
    .option('--program <id>', 'program id (with --rota)')
    .option('--rota <name>', 'rota name (with --program)')
    .requiredOption('--id <id>', 'channel id')
    .action((o: { person?: string; program?: string; rota?: string; id: string }) =>
      withPool(async (pool) => {
        const owner = ownerOf(o);
        if (!(await removeChatChannel(pool, owner, o.id))) throw new Error(`no channel ${o.id} of that owner`);
        await auditAdmin(pool, 'chat-channel.removed', { channelId: o.id, ...flatOwner(owner) });
        out(`removed ${o.id}`);
      }),
    );
  channel
    .command('list')
    .description('every channel: id, kind, host and owner (never the URL or the secret)')
    .action(() =>
      withPool(async (pool) => {
        for (const c of await listChatChannels(pool))
          out(
            [
              c.id,
              c.kind,
              c.host,
              c.enabled ? 'enabled' : 'disabled',
              'personId' in c.owner ? c.owner.personId : `${c.owner.programId}/${c.owner.rota}`,
            ].join('\t'),
          );
      }),
    );

  const token = program.command('token').description('bearer tokens');
  token
    .command('issue')
    .description('issue a token for a person; it is printed once and cannot be shown again')
    .requiredOption('--person <id>', 'person id')
    .action((o: { person: string }) =>
      withPool(async (pool) => {
        const issued = await issueToken(pool, o.person);
        await auditAdmin(pool, 'token.issued', { personId: o.person, tokenId: issued.tokenId });
        // The token alone on stdout, so `$(npm run -s admin -- token issue ...)` captures it.
        process.stderr.write(`token ${issued.tokenId} for ${o.person}; store it now, it is not kept:\n`);
        out(issued.token);
      }),
    );
  token
    .command('revoke')
    .description('revoke one token (--id) or every token of a person (--person)')
    .option('--id <tokenId>', 'token id, as printed by token issue')
    .option('--person <id>', 'person id')
    .action((o: { id?: string; person?: string }) =>
      withPool(async (pool) => {
        if (!o.id === !o.person) throw new InvalidArgumentError('give exactly one of --id or --person');
        const which = o.id ? { tokenId: o.id } : { personId: o.person! };
        const n = await revokeToken(pool, which);
        await auditAdmin(pool, 'token.revoked', o.id ? { tokenId: o.id } : { personId: o.person! }, { revoked: n });
        out(`revoked ${n} token${n === 1 ? '' : 's'}`);
      }),
    );

  program
    .command('people')
    .description('people')
    .command('list')
    .description('every person with roles, state and active tokens (no e-mail addresses)')
    .action(() =>
      withPool(async (pool) => {
        for (const p of await listPeople(pool)) {
          out(
            [p.id, p.displayName, p.roles.join(','), p.disabled ? 'disabled' : 'enabled', `${p.activeTokens} active token(s)`].join('\t'),
          );
        }
      }),
    );

  program
    .command('audit')
    .description('the audit trail')
    .command('verify')
    .description('recompute the hash chain and check its signed checkpoints; exit 0 if intact, 1 naming every break')
    .action(() =>
      withPool(async (pool) => {
        const v = await verifyAuditChain(pool, { key: loadAuditKey(loadConfig()) });
        const anchored = `${v.checkpoints} signed checkpoint(s), anchored through ${v.anchoredThrough}, ${v.unanchored} newer`;
        if (v.ok) {
          out(`audit chain intact: ${v.count} entries; ${anchored}`);
          return;
        }
        out(
          `audit chain BROKEN at sequence ${v.brokenAt} (${v.problem}); ${v.count} entries intact before it; ${v.breaksTotal} break(s); ${anchored}`,
        );
        for (const b of v.breaks ?? []) out(`  seq ${b.seq}: ${b.problem}${b.checkpoint ? ` (checkpoint ${b.checkpoint})` : ''}`);
        process.exitCode = 1;
      }),
    );
  return program;
}

buildProgram()
  .parseAsync()
  .catch((err: unknown) => {
    // The message only: our own errors name ids, never tokens or e-mail addresses.
    const message = err instanceof z.ZodError ? z.prettifyError(err) : err instanceof Error ? err.message : String(err);
    process.stderr.write(`admin: ${message}\n`);
    process.exitCode = 2;
  });
