import { useEffect, useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { Badge } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { FactsTable } from '../components/Table';

/** What GET /v1/check-links/{token} tells (api/routes/check-links.ts). */
interface CheckLink {
  programId: string;
  runId: string;
  mode: 'live' | 'rehearsal';
  runStatus: 'running' | 'finished';
  taskId: string;
  title: string;
  kind: string;
  department: string | null;
  status: 'waiting' | 'ready' | 'running' | 'done' | 'failed';
  signOff: 1 | 2;
  signatures: number;
  signedByYou: boolean;
  person: { personId: string; displayName: string };
}

/** The task after the check-off, or (202) the Update still running: `status` absent. */
interface TaskAfter {
  status?: CheckLink['status'];
  signOffs: unknown[];
  result?: 'pass' | 'fail';
}

/**
 * The page behind a runbook e-mail's check-off link. No sign-in: the link is the credential,
 * sent to one person. Opening it changes nothing (mail scanners follow links); the person
 * confirms with one button, and the link is used up.
 */
export function CheckPage({ token }: { token: string }) {
  const [link, setLink] = useState<CheckLink>();
  const [error, setError] = useState<unknown>();
  const [after, setAfter] = useState<TaskAfter>();

  useEffect(() => {
    setLink(undefined);
    setError(undefined);
    get<CheckLink>(`/v1/check-links/${encodeURIComponent(token)}`).then(setLink, setError);
  }, [token]);

  const status = error instanceof ApiError ? error.status : 0;
  const gone = status === 410 || status === 404 || status === 400;
  const rehearsal = link?.mode === 'rehearsal';
  const open =
    link && link.runStatus === 'running' && (link.status === 'ready' || (link.status === 'failed' && link.kind === 'validation'));
  const confirm = (result?: 'pass' | 'fail') => (_v: unknown, key: string) =>
    post<TaskAfter>(`/check/${encodeURIComponent(token)}`, result ? { result } : {}, key);

  return (
    <main class="container narrow check-page">
      <h1>Check off a runbook task</h1>
      {rehearsal ? (
        <p class="rehearsal-banner" data-testid="check-rehearsal">
          <strong>REHEARSAL</strong>: nothing in the hospital changes; check off as you would on the night, so the rehearsal is timed.
        </p>
      ) : null}
      {after && link ? (
        <article class="ack-result" data-testid="check-result" role="status">
          <p>
            <strong>
              {after.status === 'done'
                ? `Done: task ${link.taskId} is checked off${after.result ? ` (${after.result === 'pass' ? 'passed' : 'failed'})` : ''}.`
                : after.status === 'failed'
                  ? `Recorded: task ${link.taskId} failed its validation; the tasks after it wait.`
                  : after.status === undefined
                    ? `Accepted: your check-off of task ${link.taskId} is being applied; the timeline shows it shortly.`
                    : `Signed: your signature on task ${link.taskId} is recorded; a second person signs too.`}
            </strong>
          </p>
          <p>
            Recorded as {link.person.displayName}, now, from the e-mail link. This link is used up; the timeline is in the command center.
          </p>
        </article>
      ) : gone ? (
        <article class="ack-gone" data-testid="check-gone" role="status">
          <p>
            {status === 400 ? (
              <strong>This address is not a whole check-off link: open the link from the e-mail again, or copy all of it.</strong>
            ) : (
              <>
                <strong>This check-off link can no longer be used:</strong> it was used already or it has expired. Nothing was checked off.
                Check the task off in the command center (My tasks), or tell the command center.
              </>
            )}
          </p>
        </article>
      ) : error ? (
        <ErrorNote error={error} />
      ) : !link ? (
        <p aria-busy="true">Reading the link…</p>
      ) : (
        <article>
          <header>
            <p class="ack-what">
              <code>{link.taskId}</code> <strong>{link.title}</strong>
            </p>
          </header>
          <FactsTable
            rows={[
              ['Program', link.programId],
              [
                'Runbook run',
                <>
                  {link.runId} {rehearsal ? <Badge state="rehearsal" label="REHEARSAL" /> : null}
                </>,
              ],
              [
                'Task',
                <>
                  <code>{link.taskId}</code> ({link.kind})
                </>,
              ],
              ['Department', link.department ?? '—'],
              ['Status', <Badge state={link.status} />],
              ...(link.signOff === 2 ? [['Signatures', `${link.signatures} of 2 (two people sign this task)`] as [string, string]] : []),
              ['Link sent to', `${link.person.displayName} (${link.person.personId})`],
            ]}
          />
          {link.signedByYou ? (
            <p role="status" data-testid="check-not-open">
              You have signed this task already; the second signature is another person&apos;s.
            </p>
          ) : !open ? (
            <p role="status" data-testid="check-not-open">
              {link.runStatus === 'finished'
                ? 'This run has finished: nothing to check off.'
                : link.status === 'done'
                  ? 'This task is done already: nothing to check off.'
                  : 'This task is not ready to check off.'}
            </p>
          ) : (
            <>
              <p>
                Confirm only if you are {link.person.displayName} and the task is done. It is recorded under that name, now, from the e-mail
                link{link.signOff === 2 && link.signatures === 0 ? ', as the first of two signatures' : ''}.
              </p>
              {link.kind === 'validation' ? (
                <div class="action-row">
                  {(['pass', 'fail'] as const).map((r) => (
                    <ConfirmAction
                      key={r}
                      testId={`check-${r}`}
                      label={r === 'pass' ? 'Passed' : 'Failed'}
                      danger={r === 'fail'}
                      title={`Record task ${link.taskId} as ${r === 'pass' ? 'passed' : 'failed'}?`}
                      effect={<p>{r === 'pass' ? 'The tasks after it start.' : 'The tasks after it wait until it passes.'}</p>}
                      run={confirm(r)}
                      onDone={(res) => setAfter(res as TaskAfter)}
                    />
                  ))}
                </div>
              ) : (
                <ConfirmAction
                  testId="check-confirm"
                  label="Check off"
                  title={`Check off task ${link.taskId}?`}
                  effect={
                    <p>
                      {link.signOff === 2 && link.signatures === 0
                        ? 'Your signature is the first of two: the task is done when a second person signs.'
                        : 'The task is done: the tasks after it start.'}
                    </p>
                  }
                  confirmLabel="Check off: done"
                  run={confirm()}
                  onDone={(res) => setAfter(res as TaskAfter)}
                />
              )}
            </>
          )}
        </article>
      )}
    </main>
  );
}
