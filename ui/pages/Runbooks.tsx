import { Link } from 'wouter-preact';
import { Badge, when } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { windowWords } from '../components/runbook';
import { Table } from '../components/Table';
import { usePoll } from '../poll';
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
  const { data, error } = usePoll<{ runs: RunRow[] }>(`/v1/programs/${encodeURIComponent(programId)}/runbook-runs`, 5000);
  if (!data) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading the runbook runs…</p>;
  return (
    <section aria-labelledby="runs-h">
      <h2 id="runs-h">Runbook runs</h2>
      {error ? <ErrorNote error={error} /> : null}
      <Table
        testid="runbook-runs"
        rows={data.runs}
        rowKey={(r) => r.runId}
        empty="No runbook run yet: a lead starts the night or a rehearsal through the API (POST …/runbook-runs)."
        columns={[
          {
            header: 'Run',
            rowHeader: true,
            cell: (r) => (
              <Link href={`/programs/${programId}/runbooks/${r.runId}`}>
                <code>{r.runId}</code>
              </Link>
            ),
          },
          { header: 'Mode', cell: (r) => (r.mode === 'rehearsal' ? <Badge state="rehearsal" label="REHEARSAL" /> : 'live') },
          { header: 'Status', cell: (r) => <Badge state={r.status === 'finished' ? 'completed' : 'going-live'} label={r.status} /> },
          { header: 'Window opened', cell: (r) => when(new Date(r.startMs).toISOString()), class: 'nowrap' },
          {
            header: 'Against the window',
            cell: (r) => (
              <span class={r.minutesOverWindow > 0 ? 'bad' : 'ok'}>
                {r.status === 'finished' ? 'ended: ' : 'forecast: '}
                {windowWords(r.minutesOverWindow)}
              </span>
            ),
          },
          { header: 'Report', cell: (r) => <Link href={`/programs/${programId}/runbooks/${r.runId}/report`}>report</Link> },
        ]}
      />
    </section>
  );
}
