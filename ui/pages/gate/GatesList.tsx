/** The gates list: every gate of the plan with its status, criteria and decisions at a glance. */
import { Link } from 'wouter-preact';
import { Badge, when } from '../../components/Badge';
import { Table } from '../../components/Table';
import { useProgram } from '../../program';
import { gateTitle } from './words';

export function Gates() {
  const { status } = useProgram();
  return (
    <section aria-labelledby="gates-h">
      <h2 id="gates-h">Gates</h2>
      <p>
        Every gate of the plan, in the order they are passed. A gate is decided go or no-go by its named approvers on the evidence shown on
        its page.
      </p>
      <div class="table-scroll">
        <Table
          testid="gates-list"
          rows={status.gates}
          rowKey={(g) => g.gate}
          rowProps={(g) => ({ 'data-testid': `gate-row-${g.gate}` })}
          columns={[
            {
              header: 'Gate',
              rowHeader: true,
              cell: (g) => (
                <>
                  <Link href={`/programs/${status.programId}/gates/${g.gate}`}>{gateTitle(g.gate)}</Link>{' '}
                  <small class="muted">({g.gate})</small>
                </>
              ),
            },
            {
              header: 'Status',
              class: 'nowrap',
              cell: (g) => (
                <>
                  <Badge
                    state={g.status}
                    label={g.status === 'closed' && g.round === 0 ? 'not requested' : g.status === 'open' ? 'open for decision' : g.status}
                  />{' '}
                  {g.overdue && g.status === 'open' ? <Badge state="overdue" /> : null}
                </>
              ),
            },
            { header: 'Round', cell: (g) => g.round || '—' },
            {
              header: 'Criteria',
              class: 'nowrap',
              cell: (g) => {
                const passing = g.criteria.filter((c) => c.verdict === 'pass').length;
                return g.criteria.length ? `${passing} of ${g.criteria.length} pass` : 'none';
              },
            },
            {
              header: 'Decisions',
              cell: (g) => (
                <>
                  {g.decisions.length} of {g.approvers.length} decided{' '}
                  <small class="muted">({g.rule.kind === 'all' ? 'all needed' : `${g.rule.required} needed`})</small>
                </>
              ),
            },
            { header: 'Deadline', class: 'nowrap', cell: (g) => (g.deadline ? when(g.deadline) : '—') },
            { header: 'Closed', class: 'nowrap', cell: (g) => (g.closedAt ? when(g.closedAt) : '—') },
          ]}
        />
      </div>
    </section>
  );
}
