import { Link } from 'wouter-preact';
import type { MyTask } from '../../domain/my-tasks';
import { Badge, when } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { Table } from '../components/Table';
import { usePoll } from '../poll';
import { useSession } from '../session';
import { CheckOffButton } from './Runbook';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The signed-in person's tasks across every running runbook run: the most urgent first, each checked off here. */
export function MyTasksPage() {
  const session = useSession();
  const { data, error, refresh } = usePoll<{ tasks: MyTask[] }>('/v1/runbook-tasks/mine', 3000);
  return (
    <main class="container">
      <h1>My tasks</h1>
      <p class="muted">
        Runbook tasks waiting for {session.person.displayName}, in every running night and rehearsal. The e-mail of each has a check-off
        link too.
      </p>
      {error ? <ErrorNote error={error} /> : null}
      {!data ? (
        error ? null : (
          <p aria-busy="true">Loading your tasks…</p>
        )
      ) : (
        <Table
          testid="my-tasks"
          rows={data.tasks}
          rowKey={(t) => `${t.programId}/${t.runId}/${t.taskId}`}
          rowProps={(t) => ({ 'data-task': t.taskId, class: t.dueMs < Date.now() ? 'late' : undefined })}
          empty="Nothing waits for you just now."
          columns={[
            {
              header: 'Task',
              rowHeader: true,
              cell: (t) => (
                <>
                  <Link href={`/programs/${t.programId}/runbooks/${t.runId}#task-${t.taskId}`}>
                    <code>{t.taskId}</code>
                  </Link>{' '}
                  {t.title}
                </>
              ),
            },
            {
              header: 'Run',
              cell: (t) => (
                <>
                  <code>{t.programId}</code> / <code>{t.runId}</code>{' '}
                  {t.mode === 'rehearsal' ? <Badge state="rehearsal" label="REHEARSAL" /> : null}
                </>
              ),
            },
            { header: 'Department', cell: (t) => t.department ?? '—' },
            { header: 'Ready since', class: 'nowrap', cell: (t) => when(iso(t.readyAtMs)) },
            {
              header: 'Due',
              class: 'nowrap',
              cell: (t) => (
                <>
                  {when(iso(t.dueMs))}
                  {t.dueMs < Date.now() ? <strong class="flag late"> late</strong> : null}
                </>
              ),
            },
            { header: 'Critical', cell: (t) => (t.critical ? <strong class="flag crit">critical path</strong> : '') },
            { header: 'Signatures', class: 'num', cell: (t) => `${t.signatures} of ${t.signOff}` },
            {
              header: 'Action',
              cell: (t) => (
                <CheckOffButton
                  programId={t.programId}
                  runId={t.runId}
                  task={{ id: t.taskId, kind: t.kind, signOff: t.signOff }}
                  signatures={t.signatures}
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
