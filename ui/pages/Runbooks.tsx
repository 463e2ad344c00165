import { Link } from 'wouter-preact';
import { Badge } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { windowWords } from '../components/runbook';
import { Table } from '../components/Table';
import { usePoll } from '../poll';
import { useWords } from '../i18n';
import { ProgramFrame } from '../program';

interface RunRow {
  runId: string;
  mode: 'live' | 'rehearsal';
  status: 'running' | 'finished';
  startMs: number;
  minutesOverWindow: number;
}

export function RunbooksPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="runbooks">
      <RunList programId={programId} />
    </ProgramFrame>
  );
}

/** The program's runbook runs, the night and its rehearsals, newest first: each opens its timeline and its report. */
function RunList({ programId }: { programId: string }) {
  const { t, when } = useWords();
  const { data, error } = usePoll<{ runs: RunRow[] }>(`/v1/programs/${encodeURIComponent(programId)}/runbook-runs`, 5000);
  if (!data) return error ? <ErrorNote error={error} /> : <p aria-busy="true">{t('ui.runs.loading')}</p>;
  return (
    <section aria-labelledby="runs-h">
      <h2 id="runs-h">{t('ui.runs.title')}</h2>
      {error ? <ErrorNote error={error} /> : null}
      <Table
        testid="runbook-runs"
        rows={data.runs}
        rowKey={(r) => r.runId}
        empty={t('ui.runs.empty')}
        columns={[
          {
            header: t('ui.runs.run'),
            rowHeader: true,
            cell: (r) => (
              <Link href={`/programs/${programId}/runbooks/${r.runId}`}>
                <code>{r.runId}</code>
              </Link>
            ),
          },
          {
            header: t('ui.runs.mode'),
            cell: (r) => (r.mode === 'rehearsal' ? <Badge state="rehearsal" label={t('ui.runbook.rehearsal')} /> : t('ui.runs.live')),
          },
          {
            header: t('ui.runs.status'),
            cell: (r) => <Badge state={r.status === 'finished' ? 'completed' : 'going-live'} label={t(`ui.runs.status.${r.status}`)} />,
          },
          { header: t('ui.runs.opened'), cell: (r) => when(r.startMs), class: 'nowrap' },
          {
            header: t('ui.runs.against'),
            cell: (r) => (
              <span class={r.minutesOverWindow > 0 ? 'bad' : 'ok'}>
                {t(r.status === 'finished' ? 'ui.runs.ended' : 'ui.runs.forecast', { words: windowWords(r.minutesOverWindow, t) })}
              </span>
            ),
          },
          {
            header: t('ui.runs.report'),
            cell: (r) => <Link href={`/programs/${programId}/runbooks/${r.runId}/report`}>{t('ui.runs.reportLink')}</Link>,
          },
        ]}
      />
    </section>
  );
}
