/**
 * The audit trail's anchor outside the database: the key that signs checkpoints of the chain
 * head, and the periodic work (counts into the trail, then a checkpoint) of every API process.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { auditKeyId, writeCheckpoint } from './audit';
import { auditKeyBytes, dataDir, type Config } from './config';
import type { Logger } from './logger';
import { flushTallies } from './tally';

let testKey: Buffer | undefined;

/**
 * AUDIT_HMAC_KEY; without it (never in production: the schema refuses) a development key kept in
 * DATA_DIR/audit-hmac.key, made on first use, or for tests a key of this process alone.
 */
export function loadAuditKey(config: Config): Buffer {
  if (config.AUDIT_HMAC_KEY) return auditKeyBytes(config.AUDIT_HMAC_KEY)!;
  if (config.NODE_ENV === 'production') throw new Error('AUDIT_HMAC_KEY: required in production');
  if (config.NODE_ENV === 'test') return (testKey ??= randomBytes(32));
  const file = join(dataDir(config), 'audit-hmac.key');
  try {
    const key = auditKeyBytes(readFileSync(file, 'utf8'));
    if (key) return key;
  } catch {
    // Not made yet.
  }
  mkdirSync(dataDir(config), { recursive: true });
  const key = randomBytes(32);
  try {
    // 'wx': two processes starting at once must not each keep a key of their own.
    writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as { code?: string }).code !== 'EEXIST') throw err;
    const theirs = auditKeyBytes(readFileSync(file, 'utf8'));
    if (!theirs) throw new Error(`${file} holds no usable key (32+ bytes as hex); remove it or set AUDIT_HMAC_KEY`);
    return theirs;
  }
  chmodSync(file, 0o600);
  return key;
}

/**
 * Every `everyMs`: the closed minutes' counts into the trail, then a signed checkpoint of the
 * head. Each checkpoint is also logged (seq, hash, signature): the log is a second witness outside
 * the database, should someone holding the owner's rights delete the newest checkpoints.
 */
export function startAuditHousekeeping(opts: { pool: Pool; key: Buffer; everyMs: number; logger: Logger }): {
  tick(): Promise<void>;
  stop(): void;
} {
  const keyId = auditKeyId(opts.key);
  let running: Promise<void> | undefined;
  const tick = () =>
    (running ??= (async () => {
      try {
        await flushTallies(opts.pool);
        const c = await writeCheckpoint(opts.pool, opts.key);
        if (c) opts.logger.info({ auditCheckpoint: c.n, seq: c.seq, hash: c.hash, mac: c.mac, keyId }, 'audit checkpoint');
      } catch (err) {
        opts.logger.error({ err: { code: (err as { code?: unknown }).code } }, 'audit housekeeping failed');
      } finally {
        running = undefined;
      }
    })());
  const timer = setInterval(() => void tick(), opts.everyMs);
  timer.unref();
  void tick();
  return { tick, stop: () => clearInterval(timer) };
}
