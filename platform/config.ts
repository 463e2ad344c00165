import { resolve } from 'node:path';
import { z } from 'zod';

// Booleans from the environment: only these spellings, so a typo fails instead of meaning "false".
const envBool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const port = z.coerce.number().int().min(0).max(65535);

/**
 * The whole configuration, one schema over the environment. The README's table and
 * docker-compose.yml are checked against `configKeys` by tests, so they cannot drift.
 */
export const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data').describe('Folder for the embedded PostgreSQL and the dev Temporal database'),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  PUBLIC_BASE_URL: z.url().default('http://localhost:3000').describe('Base of the links in e-mails'),
  TRUST_PROXY: z
    .string()
    .regex(/^(false|\d{1,2}|[A-Za-z0-9.:/]+(,[A-Za-z0-9.:/]+)*)$/, "must be false, a hop count, or comma-separated addresses/subnets ('loopback', '10.0.0.0/8')")
    .default('false')
    .transform((v) => (v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v))
    .describe("Express 'trust proxy': which proxies' X-Forwarded-* headers to believe (client address, https)"),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL for golive; unset = embedded PostgreSQL under DATA_DIR'),
  EMBEDDED_PG_PORT: port.default(5433),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),

  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d+$/, 'must be host:port').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('golive-v1').describe('Versioned: bump on incompatible worker changes'),
  TEMPORAL_UI_PORT: port.default(8233),
  WORKFLOW_BUNDLE_PATH: z.string().optional().describe('Prebuilt workflow bundle (npm run build:workflows); unset = bundle at worker start'),
  TEMPORAL_CLI: z.string().optional().describe('Path to the temporal CLI; default .tools/temporal'),
  TEMPORAL_TEST_SERVER: z.string().optional().describe('Path to the time-skipping test server; default .tools/temporal-test-server'),

  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: port.default(1025),
  SMTP_SECURE: envBool.default(false).describe('TLS from the first byte (port 465); else STARTTLS when offered'),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  MAIL_FROM: z.string().min(3).default('golive <golive@localhost>'),
  MAIL_UI_PORT: port.default(1080).describe('Dev mail catcher web page'),
});

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
