/** One gate's head (title, rule, deadline, approvers) and its criteria with the evidence. */
import { Badge, when } from '../../components/Badge';
import { Table } from '../../components/Table';
import type { GateView } from '../../program';
import { criterionName, gatePurpose, gateTitle, requirement, ruleText, until, value, verdictLabel } from './words';

export function GateHead({ gate, names }: { gate: GateView; names: Record<string, string> }) {
  const decidedBy = new Map(gate.decisions.map((d) => [d.approverId, d.decision]));
  return (
    <section aria-labelledby="gate-h" class="gate-head">
      <h2 id="gate-h">
        {gateTitle(gate.gate)}{' '}
        <Badge
          state={gate.status}
          label={
            gate.status === 'closed' && gate.round === 0 ? 'not requested' : gate.status === 'open' ? 'open for decision' : gate.status
          }
        />{' '}
        {gate.overdue && gate.status === 'open' ? <Badge state="overdue" label="decision overdue" /> : null}
      </h2>
      <p>
        {gatePurpose(gate.gate)} Rule: {ruleText(gate)}; any no-go closes it as no-go.
        <br />
        {gate.round ? `Round ${gate.round}` : 'Not requested yet'}
        {gate.openedAt ? ` · opened ${when(gate.openedAt)}` : ''}
        {gate.deadline ? ` · deadline ${when(gate.deadline)}${gate.status === 'open' ? ` (${until(gate.deadline)})` : ''}` : ''}
        {gate.closedAt ? ` · closed ${when(gate.closedAt)}` : ''}
      </p>
      <p class="approvers">
        Approvers:{' '}
        {gate.approvers.map((a, i) => {
          const d = decidedBy.get(a.personId);
          return (
            <span key={a.personId}>
              {i ? ', ' : ''}
              <strong>{names[a.personId] ?? a.personId}</strong> ({a.personId}, {a.role})
              {gate.status === 'open' || d ? <> — {d ? <Badge state={d} /> : <em>waiting</em>}</> : null}
            </span>
          );
        })}
      </p>
      {gate.noGoReasons?.length ? (
        <div class="blockers">
          <strong>Why the last round said no-go:</strong>
          <ul>
            {gate.noGoReasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}

export function Criteria({ gate }: { gate: GateView }) {
  return (
    <section aria-labelledby="criteria-h">
      <h2 id="criteria-h">Criteria</h2>
      {gate.criteria.length === 0 ? (
        <p>This gate has no criteria of its own: the approvers decide on the comparison trend and the open incidents below.</p>
      ) : (
        <div class="table-scroll">
          <Table
            class="compact"
            testid="gate-criteria"
            rows={gate.criteria}
            rowKey={(c) => c.id}
            rowProps={(c) => ({ 'data-verdict': c.verdict })}
            columns={[
              {
                header: 'Criterion',
                rowHeader: true,
                cell: (c) => (
                  <>
                    {criterionName[c.id] ?? c.id}
                    {c.departments?.length ? (
                      <ul class="per-department">
                        {c.departments.map((d) => (
                          <li key={d.code}>
                            {d.code}: {value(c, d.value)} <Badge state={d.verdict} label={verdictLabel[d.verdict]} />
                          </li>
                        ))}
                      </ul>
                    ) : null}
                  </>
                ),
              },
              { header: 'Required', class: 'nowrap', cell: (c) => requirement(c) },
              {
                header: 'Evidence',
                class: 'nowrap',
                cell: (c) => (c.departments?.length && c.value !== null ? `lowest ${value(c, c.value)}` : value(c, c.value)),
              },
              { header: 'Verdict', cell: (c) => <Badge state={c.verdict} label={verdictLabel[c.verdict]} /> },
            ]}
          />
        </div>
      )}
    </section>
  );
}
