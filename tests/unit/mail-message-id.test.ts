import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailActivities, messageIdFor } from '../../activities/mail/send';
import { loadConfig } from '../../platform/config';
import { createMailer, type Mailer } from '../../platform/mailer';
import { freshDatabase, type TestDatabase } from '../helpers/db';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';

let db: TestDatabase;
let smtp: TestSmtp;
let mailer: Mailer;

beforeAll(async () => {
  [db, smtp] = await Promise.all([freshDatabase('msgid'), startTestSmtp()]);
  mailer = createMailer(loadConfig({ SMTP_PORT: String(smtp.port) }));
});
afterAll(async () => {
  mailer?.close();
  await Promise.all([db?.close(), smtp?.close()]);
});

describe('Message-IDs', () => {
  it('are the same for one key in one deployment, different across deployments, and name the deployment host', () => {
    const key = 'incident:prog-east:reported:ICU:level-1:p-oncall-01';
    const a = messageIdFor('https://golive.east-hospital.example', key);
    expect(messageIdFor('https://golive.east-hospital.example', key)).toBe(a);
    expect(a).toMatch(/^<[0-9a-f]{32}@golive\.east-hospital\.example>$/);
    const b = messageIdFor('https://golive.west-hospital.example', key);
    expect(b).toMatch(/@golive\.west-hospital\.example>$/);
    expect(b.split('@')[0]).not.toBe(a.split('@')[0]);
    // Two stacks on one host (a test and a demo) differ by their base URL's port.
    expect(messageIdFor('http://localhost:3000', key)).not.toBe(messageIdFor('http://localhost:3100', key));
    expect(messageIdFor('http://[::1]:3000', key)).toMatch(/@::1>$/);
  });

  it('reach the SMTP server as the outbox recorded them, so two deployments sending the same e-mail never collide', async () => {
    const send = (publicBaseUrl: string) =>
      createMailActivities({ pool: db.pool, mailer, mailFrom: 'golive@test', publicBaseUrl }).sendEmail({
        idempotencyKey: `test:${publicBaseUrl}`,
        to: 'someone@hospital.test',
        message: { template: 'test', requestedBy: 'p-lead-01', reference: 'ref-1' },
      });
    const east = await send('https://golive.east-hospital.example');
    const west = await send('https://golive.west-hospital.example');
    await smtp.waitFor((m) => m.length >= 2);
    expect(smtp.messages.map((m) => m.messageId)).toEqual([east.messageId, west.messageId]);
    expect(east.messageId).toMatch(/@golive\.east-hospital\.example>$/);
    const { rows } = await db.pool.query<{ message_id: string }>('SELECT message_id FROM email_outbox ORDER BY created_at');
    expect(rows.map((r) => r.message_id)).toEqual([east.messageId, west.messageId]);
  });
});
