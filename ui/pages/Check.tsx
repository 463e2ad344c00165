import { useEffect, useState } from 'preact/hooks';
import type { RunbookTask } from '../../domain/runbook';
import { ApiError, get, post } from '../api';
import { Badge } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { FactsTable } from '../components/Table';
import { useWords } from '../i18n';

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

/** The task's kind as the catalog names kinds. */
const kindOf = (link: CheckLink) => link.kind as RunbookTask['kind'];

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
  const { t } = useWords();

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
      <h1>{t('ui.check.title')}</h1>
      {rehearsal ? (
        <p class="rehearsal-banner" data-testid="check-rehearsal">
          {t('ui.check.rehearsal')}
        </p>
      ) : null}
      {after && link ? (
        <article class="ack-result" data-testid="check-result" role="status">
          <p>
            <strong>
              {after.status === 'done'
                ? t('ui.check.done', { task: link.taskId, result: after.result ?? 'none' })
                : after.status === 'failed'
                  ? t('ui.check.failed', { task: link.taskId })
                  : after.status === undefined
                    ? t('ui.check.accepted', { task: link.taskId })
                    : t('ui.check.signed', { task: link.taskId })}
            </strong>
          </p>
          <p>{t('ui.check.recordedAs', { name: link.person.displayName })}</p>
        </article>
      ) : gone ? (
        <article class="ack-gone" data-testid="check-gone" role="status">
          <p>
            {status === 400 ? (
              <strong>{t('ui.check.notWhole')}</strong>
            ) : (
              <>
                <strong>{t('ui.check.gone')}</strong> {t('ui.check.goneWhy')}
              </>
            )}
          </p>
        </article>
      ) : error ? (
        <ErrorNote error={error} />
      ) : !link ? (
        <p aria-busy="true">{t('ui.check.reading')}</p>
      ) : (
        <article>
          <header>
            <p class="ack-what">
              <code>{link.taskId}</code> <strong>{link.title}</strong>
            </p>
          </header>
          <FactsTable
            rows={[
              [t('ui.check.program'), link.programId],
              [
                t('ui.check.run'),
                <>
                  {link.runId} {rehearsal ? <Badge state="rehearsal" label={t('ui.runbook.rehearsal')} /> : null}
                </>,
              ],
              [
                t('ui.check.task'),
                <>
                  <code>{link.taskId}</code> ({t(`ui.runbook.kind.${kindOf(link)}`)})
                </>,
              ],
              [t('ui.check.department'), link.department ?? '—'],
              [t('ui.check.status'), <Badge state={link.status} />],
              ...(link.signOff === 2
                ? [[t('ui.check.signatures'), t('ui.check.signaturesOf2', { n: link.signatures })] as [string, string]]
                : []),
              [t('ui.check.sentTo'), link.person.displayName],
            ]}
          />
          {link.signedByYou ? (
            <p role="status" data-testid="check-not-open">
              {t('ui.check.signedAlready')}
            </p>
          ) : !open ? (
            <p role="status" data-testid="check-not-open">
              {link.runStatus === 'finished'
                ? t('ui.check.runFinished')
                : link.status === 'done'
                  ? t('ui.check.taskDone')
                  : t('ui.check.notReady')}
            </p>
          ) : (
            <>
              <p>
                {t('ui.check.confirmOnly', {
                  name: link.person.displayName,
                  first: link.signOff === 2 && link.signatures === 0 ? 'yes' : 'no',
                })}
              </p>
              {link.kind === 'validation' ? (
                <div class="action-row">
                  {(['pass', 'fail'] as const).map((r) => (
                    <ConfirmAction
                      key={r}
                      testId={`check-${r}`}
                      label={t(r === 'pass' ? 'ui.check.passed' : 'ui.check.failedButton')}
                      danger={r === 'fail'}
                      title={t('ui.check.recordAs', { task: link.taskId, result: r })}
                      effect={<p>{t(r === 'pass' ? 'ui.check.passEffect' : 'ui.check.failEffect')}</p>}
                      run={confirm(r)}
                      onDone={(res) => setAfter(res as TaskAfter)}
                    />
                  ))}
                </div>
              ) : (
                <ConfirmAction
                  testId="check-confirm"
                  label={t('ui.check.checkOff')}
                  title={t('ui.check.checkOffTitle', { task: link.taskId })}
                  effect={<p>{t(link.signOff === 2 && link.signatures === 0 ? 'ui.check.firstOfTwo' : 'ui.check.doneEffect')}</p>}
                  confirmLabel={t('ui.check.confirm')}
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
