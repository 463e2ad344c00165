/**
 * Check-off by reply, end to end: the run's e-mail leaves through the real activities to a real
 * SMTP server with its Reply-To, an owner answers it with nodemailer through golive's own inbound
 * SMTP listener, and the task is checked off in the run through the command center's Update.
 */
import { Connection, Client } from '@temporalio/client';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleReply, issueReplyRef, listenForReplies } from '../../app/reply-checkoffs';
import { createLogger } from '../../platform/logger';
import type { InboundSmtp } from '../../platform/inbound-smtp';
import type { ProgramTestBed } from '../helpers/program';
import { lead } from '../helpers/program';
import { runbookTestBed, state, task, type Run } from '../helpers/runbook';
import type { ReceivedMail } from '../helpers/smtp';

const domain = 'golive.test';
let rb: Awaited<ReturnType<typeof runbookTestBed>>;
let bed: ProgramTestBed;
let listener: InboundSmtp;
const logLines: string[] = [];
const logger = createLogger(
  'info',
  'test',
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  }),
);

beforeAll(async () => {
  rb = await runbookTestBed('runbook-reply', { inboundMailDomain: domain });
  bed = rb.bed;
  listener = await listenForReplies({
    pool: bed.db.pool,
    temporal: bed.env.client,
    logger,
    domain,
    host: '127.0.0.1',
    port: 0,
    maxBytes: 50_000,
  });
});
afterAll(async () => {
  await listener?.close();
  await bed?.close();
});

/** Sends a reply as a mail client would; resolves with the listener's answer code. */
async function reply(options: {
  from: string;
  to: string;
  text?: string;
  subject?: string;
  raw?: string;
}): Promise<{ code: number; response: string }> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail(
      options.raw !== undefined
        ? { envelope: { from: options.from, to: [options.to] }, raw: options.raw }
        : { from: options.from, to: options.to, subject: options.subject ?? 'Re: runbook task', text: options.text ?? '' },
    );
    return { code: 250, response: info.response };
  } catch (err) {
    const e = err as { responseCode?: number; response?: string };
    return { code: e.responseCode ?? 0, response: e.response ?? String(err) };
  } finally {
    transport.close();
  }
}

const replyToOf = (m: ReceivedMail) => /^Reply-To: (.+)$/im.exec(m.raw)?.[1]?.trim().replace(/^<|>$/g, '');

async function taskMail(programId: string, taskId: string): Promise<ReceivedMail> {
  const subject = `${programId}: runbook task ${taskId} is yours now`;
  const mails = await bed.smtp.waitFor((ms) => ms.some((m) => m.subject.includes(subject)));
  return mails.find((m) => m.subject.includes(subject))!;
}

describe('check-off by reply', () => {
  let h: Run;

  it("an owner's DONE reply checks the task off in the run, channel reply, audited; everything off the script checks nothing off", async () => {
    h = await rb.start({
      tasks: [
        task('freeze', [], 30),
        task('check', ['freeze'], 10, { owner: { person: 'p-rb-doctor' } }),
        task('sign', ['check'], 10),
        task('html', ['sign'], 10),
        task('end', ['html'], 0, { kind: 'milestone' }),
      ],
    });
    const { programId } = await rb.view(h);
    const mail = await taskMail(programId, 'freeze');
    const to = replyToOf(mail)!;
    expect(to).toMatch(/^done\+[0-9a-f]{32}@golive\.test$/);
    expect(mail.text).toContain('reply to this e-mail with DONE freeze as its first line');
    const nurse = 'p-rb-nurse@hospital.test';

    // Off the script, each refused by its code and nothing checked off.
    const refusals = {
      stranger: await reply({ from: 'p-rb-stranger@hospital.test', to, text: 'DONE freeze' }),
      otherTask: await reply({ from: nurse, to, text: 'DONE check' }),
      noCommand: await reply({ from: nurse, to, text: 'Will do it after the census.' }),
      tooLarge: await reply({ from: nurse, to, text: `DONE freeze\n\n${'> quoted line of the notice\n'.repeat(3000)}` }),
      garbled: await reply({ from: nurse, to, raw: '\u0000\u00ff\r\n\r\n\u0001garbage with no headers' }),
      unknownRef: await reply({ from: nurse, to: `done+${'0'.repeat(32)}@${domain}`, text: 'DONE freeze' }),
      notAReference: await reply({ from: nurse, to: `postmaster@${domain}`, text: 'DONE freeze' }),
    };
    expect(
      Object.fromEntries(Object.entries(refusals).map(([k, r]) => [k, `${r.code} ${/golive: ([a-z-]+)/.exec(r.response)?.[1]}`])),
    ).toEqual({
      stranger: '550 stranger-sender',
      otherTask: '550 unknown-task',
      noCommand: '550 not-a-check-off',
      tooLarge: '552 too-large',
      garbled: '550 stranger-sender',
      unknownRef: '550 reply-ref-unknown',
      notAReference: '550 reply-ref-unknown',
    });
    expect(state(await rb.view(h), 'freeze')).toMatchObject({ status: 'ready', signOffs: [] });

    // The owner's reply: full-width command and space, a Chinese full stop, quoted text, odd Unicode in the subject.
    const ok = await reply({
      from: nurse,
      to,
      subject: 'Re: 冻结挂号 ✔ \u202e\u200b [golive] runbook task',
      text: 'ＤＯＮＥ　ｆｒｅｅｚｅ。\n\nOn Tuesday golive wrote:\n> Runbook night-1, task freeze (manual)\n',
    });
    expect(ok.code).toBe(250);
    const v = await rb.until(h, (x) => state(x, 'freeze').status === 'done');
    expect(state(v, 'freeze').signOffs).toMatchObject([{ personId: 'p-rb-nurse', channel: 'reply' }]);
    const audit = await bed.db.pool.query(
      `SELECT actor, at, details->>'channel' AS channel FROM audit_log WHERE action = 'runbook.task-checked-off' AND target->>'programId' = $1`,
      [programId],
    );
    expect(audit.rows).toMatchObject([{ actor: 'p-rb-nurse', channel: 'reply' }]);
    expect(audit.rows[0].at).toBeInstanceOf(Date);

    // The same reply again (a mail system's retry, a second click on send): spent.
    expect((await reply({ from: nurse, to, text: 'DONE freeze' })).response).toContain('golive: reply-ref-used');
    expect(state(await rb.view(h), 'freeze').signOffs).toHaveLength(1);

    // A reply after the task was checked off in the command center: refused by the run, and spent.
    const checkMail = await taskMail(programId, 'check');
    const checkTo = replyToOf(checkMail)!;
    expect(checkTo).not.toBe(to);
    await rb.checkOff(h, lead, 'check');
    expect((await reply({ from: 'p-rb-doctor@hospital.test', to: checkTo, text: 'done' })).response).toContain(
      'golive: refused-invalid-state',
    );
    const stored = await bed.db.pool.query(
      'SELECT outcome, used_at IS NOT NULL AS used FROM runbook_reply_refs WHERE task_id = $1 AND program_id = $2',
      ['check', programId],
    );
    expect(stored.rows).toEqual([{ outcome: 'refused-invalid-state', used: true }]);
    // Two copies of one reply at the same moment (two mail relays): one check-off.
    const signTo = replyToOf(await taskMail(programId, 'sign'))!;
    const both = await Promise.all([
      reply({ from: nurse, to: signTo, text: 'DONE sign' }),
      reply({ from: nurse, to: signTo, text: 'DONE sign' }),
    ]);
    expect(both.map((r) => r.code).sort()).toEqual([250, 550]);
    // A reply written in HTML only (no plain-text part), the notice quoted in a blockquote.
    const htmlTo = replyToOf(await taskMail(programId, 'html'))!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true });
    await transport.sendMail({
      from: nurse,
      to: htmlTo,
      subject: 'Re: task',
      html: '<div dir="auto">Done html</div><blockquote><p>Runbook night-1, task html</p></blockquote>',
    });
    transport.close();
    const done = await h.result();
    expect(state(done, 'html').signOffs).toMatchObject([{ personId: 'p-rb-nurse', channel: 'reply' }]);
    expect(state(done, 'sign').signOffs).toMatchObject([{ personId: 'p-rb-nurse', channel: 'reply' }]);
    expect(done.status).toBe('finished');
    expect(state(done, 'check').signOffs).toMatchObject([{ personId: 'p-lead-01', channel: 'command-center' }]);

    // A notice of a run that has finished since: nothing to check off.
    const late = await issueReplyRef(bed.db.pool, {
      noticeKey: `late-${programId}`,
      programId,
      runId: 'night-1',
      taskId: 'freeze',
      personId: 'p-rb-nurse',
    });
    expect((await reply({ from: nurse, to: `done+${late}@${domain}`, text: 'DONE' })).response).toContain('golive: run-finished');

    // A second run after the first finished, a rehearsal: its e-mails go to its own list and invite no reply.
    const dress = await rb.start(
      { tasks: [task('freeze', [], 30), task('end', ['freeze'], 0, { kind: 'milestone' })] },
      { mode: 'rehearsal' },
    );
    const dressId = (await rb.view(dress)).programId;
    const dressMail = await taskMail(dressId, 'freeze');
    expect(dressMail.to).toEqual(['p-rb-rehearsal@hospital.test']);
    expect(replyToOf(dressMail)).toBeUndefined();
    expect(dressMail.text).not.toContain('DONE');
    await rb.checkOff(dress, lead, 'freeze');
    await dress.result();

    // Log lines carry codes only: no address, no word of the reply.
    const lines = logLines.join('');
    expect(lines).toContain('"outcome":"checked-off"');
    expect(lines).toContain('"outcome":"stranger-sender"');
    for (const secret of ['hospital.test', 'census', '冻结', 'quoted', to.slice(5, 37)]) expect(lines).not.toContain(secret);
  });

  it('Temporal away: the reply is answered try-later and its reference stays usable for the retry', async () => {
    const ref = await issueReplyRef(bed.db.pool, {
      noticeKey: `away-${Date.now()}`,
      programId: 'p-away',
      runId: 'night-1',
      taskId: 'freeze',
      personId: 'p-rb-nurse',
    });
    // A Temporal that refuses connections (a closed port).
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const outcome = await handleReply(
      { pool: bed.db.pool, temporal, domain, logger, updateMs: 1_500 },
      { recipients: [`done+${ref}@${domain}`], from: 'p-rb-nurse@hospital.test', text: 'DONE freeze' },
    );
    expect(outcome).toBe('try-later');
    const { rows } = await bed.db.pool.query(`SELECT used_at FROM runbook_reply_refs WHERE notice_key LIKE 'away-%'`);
    expect(rows).toEqual([{ used_at: null }]);
    await temporal.connection.close();
  });

  it('PostgreSQL away: the listener answers try-later (the relay retries) and keeps serving', async () => {
    const deadPool = new Pool({ connectionString: 'postgres://golive:x@127.0.0.1:1/golive', connectionTimeoutMillis: 500 });
    const away = await listenForReplies({ pool: deadPool, temporal: bed.env.client, logger, domain, host: '127.0.0.1', port: 0 });
    try {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: away.port, secure: false, ignoreTLS: true });
      const send = () =>
        transport.sendMail({ from: 'p-rb-nurse@hospital.test', to: `done+${'ab'.repeat(16)}@${domain}`, subject: 'Re', text: 'DONE' }).then(
          () => 'accepted',
          (err: { responseCode?: number; response?: string }) => `${err.responseCode} ${err.response}`,
        );
      expect(await send()).toBe('451 451 4.3.0 golive: try-later');
      expect(await send()).toBe('451 451 4.3.0 golive: try-later');
      transport.close();
    } finally {
      await away.close();
      await deadPool.end();
    }
  });
});
