/** The gates list: every gate of the plan with its status, criteria and decisions at a glance. */
import { Link } from 'wouter-preact';
import { Badge } from '../../components/Badge';
import { Table } from '../../components/Table';
import { useWords } from '../../i18n';
import { useProgram } from '../../program';
import { GateStatus } from './Summary';
import { gateTitle } from './words';

export function Gates() {
  const { status } = useProgram();
  const w = useWords();
  const { t, when } = w;
  return (
    <section aria-labelledby="gates-h">
      <h2 id="gates-h">{t('ui.gates.title')}</h2>
      <p>{t('ui.gates.intro')}</p>
      <div class="table-scroll">
        <Table
          testid="gates-list"
          rows={status.gates}
          rowKey={(g) => g.gate}
          rowProps={(g) => ({ 'data-testid': `gate-row-${g.gate}` })}
          columns={[
            {
              header: t('ui.gates.col.gate'),
              rowHeader: true,
              cell: (g) => <Link href={`/programs/${status.programId}/gates/${g.gate}`}>{gateTitle(w, g.gate)}</Link>,
            },
            {
              header: t('ui.gates.col.status'),
              class: 'nowrap',
              cell: (g) => (
                <>
                  <GateStatus gate={g} /> {g.overdue && g.status === 'open' ? <Badge state="overdue" /> : null}
                </>
              ),
            },
            { header: t('ui.gates.col.round'), cell: (g) => g.round || '—' },
            {
              header: t('ui.gates.col.criteria'),
              class: 'nowrap',
              cell: (g) =>
                g.criteria.length
                  ? t('ui.gates.passing', { passing: g.criteria.filter((c) => c.verdict === 'pass').length, total: g.criteria.length })
                  : t('ui.common.none'),
            },
            {
              header: t('ui.gates.col.decisions'),
              cell: (g) => (
                <>
                  {t('ui.gates.decided', { decided: g.decisions.length, total: g.approvers.length })}{' '}
                  <small class="muted">
                    ({t('ui.gate.ruleShort', { kind: g.rule.kind, required: g.rule.kind === 'all' ? 0 : g.rule.required })})
                  </small>
                </>
              ),
            },
            { header: t('ui.gates.col.deadline'), class: 'nowrap', cell: (g) => when(g.deadline) },
            { header: t('ui.gates.col.closed'), class: 'nowrap', cell: (g) => when(g.closedAt) },
          ]}
        />
      </div>
    </section>
  );
}
