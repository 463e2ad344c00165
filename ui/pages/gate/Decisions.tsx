/** The decisions recorded on a gate, every round, with their evidence fingerprints. */
import { Badge } from '../../components/Badge';
import { ErrorNote } from '../../components/ErrorNote';
import { Table } from '../../components/Table';
import { useWords } from '../../i18n';
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
  const { t, when } = useWords();
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
      <h2 id="decisions-h">{t('ui.decisions.title')}</h2>
      {error && !recorded ? <ErrorNote error={error} /> : null}
      <div class="table-scroll">
        <Table
          class="compact"
          testid="gate-decisions"
          rows={rows}
          rowKey={(d, i) => `${d.round}-${d.approverId}-${d.decidedAt}-${i}`}
          rowProps={(d) => ({ class: d.round === gate.round ? '' : 'earlier-round' })}
          empty={t('ui.decisions.empty')}
          columns={[
            { header: t('ui.decisions.col.round'), cell: (d) => d.round },
            { header: t('ui.decisions.col.when'), class: 'nowrap', cell: (d) => when(d.decidedAt) },
            {
              header: t('ui.decisions.col.who'),
              rowHeader: true,
              class: 'nowrap',
              cell: (d) => (
                <>
                  {names[d.approverId] ?? d.approverId} <small>({d.approverId})</small>
                </>
              ),
            },
            {
              header: t('ui.decisions.col.decision'),
              class: 'nowrap',
              cell: (d) => (
                <>
                  <Badge state={d.decision} /> {d.overrideReason ? <Badge state="overdue" label={t('ui.common.override')} /> : null}
                </>
              ),
            },
            { header: t('ui.decisions.col.override'), cell: (d) => d.overrideReason ?? '—' },
            { header: t('ui.decisions.col.comment'), cell: (d) => d.comment ?? '—' },
            { header: t('ui.decisions.col.fingerprint'), cell: (d) => <code title={d.evidenceHash}>{d.evidenceHash.slice(0, 12)}</code> },
          ]}
        />
      </div>
    </section>
  );
}
