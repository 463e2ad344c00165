import { Link } from 'wouter-preact';
import type { MyTask } from '../../domain/my-tasks';
import { Badge } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { Table } from '../components/Table';
import { usePoll } from '../poll';
import { useWords } from '../i18n';
import { useSession } from '../session';
import { CheckOffButton } from './Runbook';

/** The signed-in person's tasks across every running runbook run: the most urgent first, each checked off here. */
export function MyTasksPage() {
  const session = useSession();
  const { t, when } = useWords();
  const { data, error, refresh } = usePoll<{ tasks: MyTask[] }>('/v1/runbook-tasks/mine', 3000);
  return (
    <main class="container">
      <h1>{t('ui.myTasks.title')}</h1>
      <p class="muted">{t('ui.myTasks.intro', { name: session.person.displayName })}</p>
      {error ? <ErrorNote error={error} /> : null}
      {!data ? (
        error ? null : (
          <p aria-busy="true">{t('ui.myTasks.loading')}</p>
        )
      ) : (
        <Table
          testid="my-tasks"
          rows={data.tasks}
          rowKey={(task) => `${task.programId}/${task.runId}/${task.taskId}`}
          rowProps={(task) => ({ 'data-task': task.taskId, class: task.dueMs < Date.now() ? 'late' : undefined })}
          empty={t('ui.myTasks.empty')}
          columns={[
            {
              header: t('ui.myTasks.task'),
              rowHeader: true,
              cell: (task) => (
                <>
                  <Link href={`/programs/${task.programId}/runbooks/${task.runId}#task-${task.taskId}`}>
                    <code>{task.taskId}</code>
                  </Link>{' '}
                  {task.title}
                </>
              ),
            },
            {
              header: t('ui.myTasks.run'),
              cell: (task) => (
                <>
                  <code>{task.programId}</code> / <code>{task.runId}</code>{' '}
                  {task.mode === 'rehearsal' ? <Badge state="rehearsal" label={t('ui.runbook.rehearsal')} /> : null}
                </>
              ),
            },
            { header: t('ui.myTasks.department'), cell: (task) => task.department ?? '—' },
            { header: t('ui.myTasks.readySince'), class: 'nowrap', cell: (task) => when(task.readyAtMs) },
            {
              header: t('ui.myTasks.due'),
              class: 'nowrap',
              cell: (task) => (
                <>
                  {when(task.dueMs)}
                  {task.dueMs < Date.now() ? <strong class="flag late"> {t('ui.myTasks.late')}</strong> : null}
                </>
              ),
            },
            {
              header: t('ui.myTasks.critical'),
              cell: (task) => (task.critical ? <strong class="flag crit">{t('ui.myTasks.criticalPath')}</strong> : ''),
            },
            {
              header: t('ui.myTasks.signatures'),
              class: 'num',
              cell: (task) => t('ui.myTasks.signaturesOf', { n: task.signatures, of: task.signOff }),
            },
            {
              header: t('ui.myTasks.action'),
              cell: (task) => (
                <CheckOffButton
                  programId={task.programId}
                  runId={task.runId}
                  task={{ id: task.taskId, kind: task.kind, signOff: task.signOff }}
                  signatures={task.signatures}
                  onDone={refresh}
                />
              ),
            },
          ]}
        />
      )}
    </main>
  );
}
