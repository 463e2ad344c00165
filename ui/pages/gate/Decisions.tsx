/** The decisions recorded on a gate, every round, with their evidence fingerprints. */
import { Badge, when } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import { Table } from '../../components/Table';
import type { GateView } from '../../program';

export interface RecordedDecision {
  round: number;
  approverId: string;
  decision: 'go' | 'no-go';
  overrideReason?: string;
  comment?: string;
  evidenceHash: string;
  decidedAt: string;
}

export function Decisions({
  gate,
  recorded,
  names,
  error,
}: {
  gate: GateView;
  recorded: RecordedDecision[] | undefined;
  names: Record<string, string>;
  error: unknown;
}) {
  // Until the recorded decisions arrive, the current round's from the live status.
  const rows: RecordedDecision[] =
    recorded ??
    gate.decisions.map((d) => ({
      round: gate.round,
      approverId: d.approverId,
      decision: d.decision,
      comment: d.comment,
      overrideReason: d.overrideReason,
      evidenceHash: d.evidenceHash,
      decidedAt: d.decidedAt,
    }));
  return (
    <section aria-labelledby="decisions-h">
      <h2 id="decisions-h">Decisions so far</h2>
      {error && !recorded ? <ErrorNote error={error} /> : null}
      <div class="table-scroll">
        <Table
          class="compact"
          testid="gate-decisions"
          rows={rows}
          rowKey={(d, i) => `${d.round}-${d.approverId}-${d.decidedAt}-${i}`}
          rowProps={(d) => ({ class: d.round === gate.round ? '' : 'earlier-round' })}
          empty="No decision yet."
          columns={[
            { header: 'Round', cell: (d) => d.round },
            { header: 'When', class: 'nowrap', cell: (d) => when(d.decidedAt) },
            {
              header: 'Who',
              rowHeader: true,
              class: 'nowrap',
              cell: (d) => (
                <>
                  {names[d.approverId] ?? d.approverId} <small>({d.approverId})</small>
                </>
              ),
            },
            {
              header: 'Decision',
              class: 'nowrap',
              cell: (d) => (
                <>
                  <Badge state={d.decision} /> {d.overrideReason ? <Badge state="overdue" label="override" /> : null}
                </>
              ),
            },
            { header: 'Override reason', cell: (d) => d.overrideReason ?? '—' },
            { header: 'Comment', cell: (d) => d.comment ?? '—' },
            { header: 'Evidence fingerprint', cell: (d) => <code title={d.evidenceHash}>{d.evidenceHash.slice(0, 12)}</code> },
          ]}
        />
      </div>
    </section>
  );
}
