/**
 * Check-off links: a runbook task's e-mail carries one per person (activities/runbooks.ts). The
 * token is the credential, so the page behind it needs no sign-in (a nurse on the floor has a
 * phone, not a session); opening it changes nothing (mail scanners follow links), and the check-off
 * is a POST that spends the token and goes through the same Update as the command center's,
 * on channel `email-link`, as the person it was sent to.
 */
import { z } from 'zod';
import { claimCheckLink, findCheckLink, releaseCheckLink } from '../../app/check-links';
import { enabledPerson } from '../../app/people';
import { UpdatePending, updateReply } from '../temporal-calls';
import { HttpError } from '../errors';
import { route } from '../route';
import { sendShell } from '../ui';
import { checkOffTask, runOf } from './runbooks';

const CheckParams = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a check-off link token') });
const gone = () => new HttpError(410, 'link_expired', 'this check-off link was used already or has expired');

export const checkPageRoute = route({
  method: 'get',
  path: '/check/{token}',
  summary: "The page behind a runbook e-mail's check-off link: it names the task and checks off nothing by itself",
  tags: ['runbooks'],
  roles: 'public',
  // Any token: the page itself tells a mistyped or truncated link apart (through the route below).
  params: z.object({ token: z.string().max(200) }),
  responses: { 200: { description: 'The command center, at the check-off page', contentType: 'text/html' } },
  async handle({ ctx }) {
    sendShell(ctx.res);
    return { status: 200 };
  },
});

export const checkLinkRoute = route({
  method: 'get',
  path: '/v1/check-links/{token}',
  summary: 'What a check-off link is about (the run, the task code and title, whose link) and whether it can still be used',
  tags: ['runbooks'],
  roles: 'public',
  params: CheckParams,
  responses: {
    200: { description: 'The task the link checks off' },
    410: { description: 'Link used, expired or unknown' },
  },
  async handle({ params, ctx }) {
    const link = await findCheckLink(ctx.deps.pool, params.token);
    if (!link?.usable) throw gone();
    const [run, person] = await Promise.all([runOf(ctx, link.programId, link.runId), enabledPerson(ctx.deps.pool, link.personId)]);
    const task = run.tasks.find((t) => t.id === link.taskId);
    if (!task || !person) throw gone();
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store' },
      body: {
        programId: run.programId,
        runId: run.runId,
        mode: run.mode,
        runStatus: run.status,
        taskId: task.id,
        title: task.title,
        kind: task.kind,
        department: task.department ?? null,
        status: task.status,
        signOff: task.signOff,
        signatures: task.signOffs.length,
        signedByYou: task.signOffs.some((s) => s.personId === person.personId),
        person: { personId: person.personId, displayName: person.displayName },
      },
    };
  },
});

export const checkConfirmRoute = route({
  method: 'post',
  path: '/check/{token}',
  summary:
    "Check a runbook task off through an e-mail link, as the person it was sent to (channel email-link; on a two-person task, that person's signature)",
  tags: ['runbooks'],
  roles: 'public',
  params: CheckParams,
  body: z.strictObject({ result: z.enum(['pass', 'fail']).optional() }),
  responses: {
    200: { description: 'The task after the check-off' },
    202: { description: 'Accepted, not yet applied', schema: UpdatePending },
    403: { description: 'The person the link was sent to may not check this task off' },
    409: { description: 'Not ready, done already, or already signed by this person' },
    410: { description: 'Link used, expired or unknown' },
  },
  async handle({ params, body, ctx }) {
    const link = await claimCheckLink(ctx.deps.pool, params.token);
    if (!link) throw gone();
    try {
      const person = await enabledPerson(ctx.deps.pool, link.personId);
      if (!person) throw new HttpError(403, 'not_allowed', 'the person this link was sent to can no longer sign in');
      const outcome = await checkOffTask(ctx, link, { channel: 'email-link', ...body }, { personId: person.personId, roles: person.roles });
      return updateReply(outcome);
    } catch (err) {
      // Nothing was checked off: the link stays good for another try (a refusal says why).
      await releaseCheckLink(ctx.deps.pool, params.token).catch(() => undefined);
      throw err;
    }
  },
});

export const checkLinkRoutes = [checkPageRoute, checkLinkRoute, checkConfirmRoute];
