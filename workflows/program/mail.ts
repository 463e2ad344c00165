/** The program's mail queue: e-mails decided by handlers leave here, after the handler answered. */
import { ActivityFailure, ApplicationFailure, condition, isCancellation } from '@temporalio/workflow';
import { notifyPeople, type ProgramContext } from './context';
import { sendEmergencyNotice } from './emergency';

/**
 * Sends the queued e-mails in order, for as long as the run lives. Each stays queued (in the
 * state, so a continue-as-new carries it) until it is out; a resend after a restart or a new run
 * re-sends nobody, every e-mail being keyed. One refused for good is audited and skipped.
 */
export async function mailLoop(ctx: ProgramContext): Promise<void> {
  const outbox = () => (ctx.s.outbox ??= []);
  for (;;) {
    await condition(() => outbox().length > 0);
    const m = outbox()[0]!;
    try {
      if (m.emergency !== undefined) await sendEmergencyNotice(ctx, m);
      else await notifyPeople(m as unknown as Parameters<typeof notifyPeople>[0]);
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const type = err.cause instanceof ApplicationFailure ? (err.cause.type ?? 'failed') : 'failed';
      await ctx.audit('workflow', 'mail.not-sent', { template: m.message.template, key: m.keyPrefix }, 'failed', type);
    }
    outbox().shift();
  }
}
