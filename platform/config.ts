import { IANAZone } from 'luxon';
import { resolve } from 'node:path';
import { z } from 'zod';

// Booleans from the environment: only these spellings, so a typo fails instead of meaning "false".
const envBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);

/**
 * The whole configuration, one schema over the environment. The README's table and
 * docker-compose.yml are checked against `configKeys` by tests, so they cannot drift.
 */
export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().min(1).default('.data').describe('Folder for the embedded PostgreSQL and the dev Temporal database'),

    API_HOST: z.string().min(1).default('127.0.0.1'),
    API_PORT: port.default(3000),
    PUBLIC_BASE_URL: z.url().default('http://localhost:3000').describe('Base of the links in e-mails'),
    HOSPITAL_TIME_ZONE: z
      .string()
      .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone such as Asia/Shanghai')
      .default('Asia/Shanghai')
      .describe("The command center's clock outside a program's pages (a program's pages use its plan's zone)"),
    TRUST_PROXY: z
      .string()
      .regex(
        /^(false|\d{1,2}|[A-Za-z0-9.:/]+(,[A-Za-z0-9.:/]+)*)$/,
        "must be false, a hop count, or comma-separated addresses/subnets ('loopback', '10.0.0.0/8')",
      )
      .default('false')
      .transform((v) => (v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v))
      .describe("Express 'trust proxy': which proxies' X-Forwarded-* headers to believe (client address, https)"),

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional()
      .describe('PostgreSQL for golive; unset = embedded PostgreSQL under DATA_DIR'),
    MIGRATION_DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional()
      .describe("The tables' owner, for migrations and the admin command line; unset = DATABASE_URL (or the embedded superuser)"),
    EMBEDDED_PG_PORT: port.default(5433),
    EMBEDDED_PG_SHARED_DIR: z
      .string()
      .regex(/^\//, 'must be an absolute path')
      .default('/var/lib/golive')
      .describe(
        "As root with the clone in a private folder: where the embedded PostgreSQL's binaries and the demo's cluster go, so its own user reaches them",
      ),
    PG_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),

    TEMPORAL_ADDRESS: z
      .string()
      .regex(/^[^:\s]+:\d+$/, 'must be host:port')
      .default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('golive-v1').describe('Versioned: bump on incompatible worker changes'),
    TEMPORAL_UI_PORT: port.default(8233),
    WORKFLOW_BUNDLE_PATH: z
      .string()
      .optional()
      .describe('Prebuilt workflow bundle (npm run build:workflows); unset = bundle at worker start'),
    TEMPORAL_CLI: z.string().optional().describe('Path to the temporal CLI; default .tools/temporal'),
    TEMPORAL_TEST_SERVER: z.string().optional().describe('Path to the time-skipping test server; default .tools/temporal-test-server'),

    AUDIT_HMAC_KEY: z
      .string()
      .refine((v) => auditKeyBytes(v) !== undefined, 'must be at least 32 bytes, as hex or base64')
      .optional()
      .describe('Signs the audit checkpoints; the database never holds it. Required in production'),
    AUDIT_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    AUTH_FAILURES_PER_MINUTE: z.coerce
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(30)
      .describe('Failed authentications per source address and minute before 429'),
    SIGN_INS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(10).describe('Sign-ins per person and minute before 429'),

    LIVE_READ_FRESH_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1000)
      .describe(
        'How long the API reuses a workflow query answer (program status, parallel-run nights) for every reader; concurrent readers share one query. 0 = every read queries',
      ),
    METRICS_ACCESS: z
      .enum(['loopback', 'any'])
      .default('loopback')
      .describe("Who may read the API's GET /metrics: loopback only (through TRUST_PROXY, the client's address counts), or any address"),
    WORKER_METRICS_ADDRESS: z
      .string()
      .regex(/^(off|[^\s:]+:\d+|\[[0-9a-fA-F:]+\]:\d+)$/, "must be host:port or 'off'")
      .default('127.0.0.1:9464')
      .describe("Where the worker's Temporal SDK runtime serves its Prometheus metrics (/metrics); 'off' = none"),

    SMTP_HOST: z.string().min(1).default('127.0.0.1'),
    SMTP_PORT: port.default(1025),
    SMTP_SECURE: envBool.default(false).describe('TLS from the first byte (port 465); else STARTTLS when offered'),
    SMTP_USER: z.string().optional(),
    SMTP_PASSWORD: z.string().optional(),
    MAIL_FROM: z.string().min(3).default('golive <golive@localhost>'),
    MAIL_UI_PORT: port.default(1080).describe('Dev mail catcher web page'),
    INBOUND_MAIL_DOMAIN: z
      .string()
      .regex(
        /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
        'must be a domain name',
      )
      .optional()
      .describe(
        "The domain whose mail reaches golive's inbound SMTP listener: runbook task e-mails (not a rehearsal's) then carry Reply-To done+<reference>@it, so an owner checks off by replying DONE <task>. Unset = no reply check-off. Give it to the worker (it sends) and the API (it listens)",
      ),
    INBOUND_SMTP_PORT: port
      .optional()
      .describe('The API listens for check-off replies by SMTP on this port (needs INBOUND_MAIL_DOMAIN). Unset = no listener'),
    INBOUND_SMTP_HOST: z.string().min(1).default('127.0.0.1').describe('Address the inbound SMTP listener binds'),

    TEST_CRASH_API_AFTER_UPDATE: envBool
      .default(false)
      .describe(
        'Fault injection for one end-to-end test: the API process kills itself just after a program Update returned, before its answer. Refused unless NODE_ENV=test',
      ),
  })
  .superRefine((c, ctx) => {
    // Without it a production trail could be re-chained unnoticed: no start at all is better.
    if (c.NODE_ENV === 'production' && !c.AUDIT_HMAC_KEY)
      ctx.addIssue({ code: 'custom', path: ['AUDIT_HMAC_KEY'], message: 'required in production' });
    // A listener for replies that no e-mail invites would only ever refuse them.
    if (c.INBOUND_SMTP_PORT !== undefined && !c.INBOUND_MAIL_DOMAIN)
      ctx.addIssue({ code: 'custom', path: ['INBOUND_MAIL_DOMAIN'], message: 'required with INBOUND_SMTP_PORT' });
    // A fault that loses answers on purpose: no configuration but a test's may turn it on.
    if (c.TEST_CRASH_API_AFTER_UPDATE && c.NODE_ENV !== 'test')
      ctx.addIssue({ code: 'custom', path: ['TEST_CRASH_API_AFTER_UPDATE'], message: 'only with NODE_ENV=test' });
  });

/** The checkpoint key's bytes: 64+ hex digits, or base64 of 32+ bytes; undefined when neither. */
export function auditKeyBytes(text: string): Buffer | undefined {
  const t = text.trim();
  const bytes = /^([0-9a-fA-F]{2})+$/.test(t)
    ? Buffer.from(t, 'hex')
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(t)
      ? Buffer.from(t, 'base64')
      : undefined;
  return bytes && bytes.length >= 32 ? bytes : undefined;
}

export type Config = z.infer<typeof ConfigSchema>;
export const configKeys = Object.keys(ConfigSchema.shape) as (keyof Config)[];

export class ConfigError extends Error {}

/** Parses the environment; throws one error naming every bad variable and its rule. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const key of configKeys) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

export const projectRoot = resolve(__dirname, '..');
export const dataDir = (config: Config) => resolve(projectRoot, config.DATA_DIR);

/** golive's own database: DATABASE_URL, or the embedded PostgreSQL the stack starts. */
export const databaseUrl = (config: Config) =>
  config.DATABASE_URL ?? `postgres://golive:golive@127.0.0.1:${config.EMBEDDED_PG_PORT}/golive`;
/** The tables' owner: migrations and the admin command line. The API and worker use databaseUrl. */
export const ownerDatabaseUrl = (config: Config) =>
  config.MIGRATION_DATABASE_URL ?? config.DATABASE_URL ?? `postgres://golive:golive@127.0.0.1:${config.EMBEDDED_PG_PORT}/golive`;
