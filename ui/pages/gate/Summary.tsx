/** One gate's head (title, rule, deadline, approvers) and its criteria with the evidence. */
import { Badge } from '../../components/Badge';
import { Table } from '../../components/Table';
import { useWords, type MessageKey } from '../../i18n';
import type { GateView } from '../../program';
import { criterionName, gatePurpose, gateTitle, requirement, ruleText, until, value } from './words';

/** The gate's status as a badge: "not requested" before its first round, "open for decision" while open. */
export function GateStatus({ gate }: { gate: GateView }) {
  const { t } = useWords();
  return (
    <Badge
      state={gate.status}
      label={
        gate.status === 'closed' && gate.round === 0
          ? t('ui.common.notRequested')
          : gate.status === 'open'
            ? t('ui.common.openForDecision')
            : undefined
      }
    />
  );
}

export function GateHead({ gate, names }: { gate: GateView; names: Record<string, string> }) {
  const w = useWords();
  const { t, when } = w;
  const decidedBy = new Map(gate.decisions.map((d) => [d.approverId, d.decision]));
  const facts = [
    t('ui.gate.round', { round: gate.round }),
    gate.openedAt ? t('ui.gate.opened', { time: when(gate.openedAt) }) : null,
    gate.deadline
      ? gate.status === 'open'
        ? t('ui.gate.deadlineLeft', { time: when(gate.deadline), left: until(w, gate.deadline) })
        : t('ui.gate.deadline', { time: when(gate.deadline) })
      : null,
    gate.closedAt ? t('ui.gate.closed', { time: when(gate.closedAt) }) : null,
  ].filter(Boolean);
  return (
    <section aria-labelledby="gate-h" class="gate-head">
      <h2 id="gate-h">
        {gateTitle(w, gate.gate)} <GateStatus gate={gate} />{' '}
        {gate.overdue && gate.status === 'open' ? <Badge state="overdue" label={t('ui.common.decisionOverdue')} /> : null}
      </h2>
      <p>
        {gatePurpose(w, gate.gate)} {t('ui.gate.ruleLine', { rule: ruleText(w, gate) })}
        <br />
        {facts.join(' · ')}
      </p>
      <p class="approvers">
        {t('ui.gate.approvers')}{' '}
        {gate.approvers.map((a, i) => {
          const d = decidedBy.get(a.personId);
          const role = `ui.role.${a.role}` as MessageKey;
          return (
            <span key={a.personId}>
              {i ? t('list.separator') : ''}
              {t('ui.gate.approver', { name: names[a.personId] ?? a.personId, id: a.personId, role: t(role) })}
              {gate.status === 'open' || d ? <> — {d ? <Badge state={d} /> : <em>{t('ui.gate.waiting')}</em>}</> : null}
            </span>
          );
        })}
      </p>
      {gate.noGoReasons?.length ? (
        <div class="blockers">
          <strong>{t('ui.gate.noGoReasons')}</strong>
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
  const w = useWords();
  const { t } = w;
  return (
    <section aria-labelledby="criteria-h">
      <h2 id="criteria-h">{t('ui.criteria.title')}</h2>
      {gate.criteria.length === 0 ? (
        <p>{t('ui.criteria.none')}</p>
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
                header: t('ui.criteria.col.criterion'),
                rowHeader: true,
                cell: (c) => (
                  <>
                    {criterionName(w, c.id)}
                    {c.departments?.length ? (
                      <ul class="per-department">
                        {c.departments.map((d) => (
                          <li key={d.code}>
                            {t('ui.criteria.perDepartment', { department: d.code, value: value(w, c, d.value) })}{' '}
                            <Badge state={d.verdict} />
                          </li>
                        ))}
                      </ul>
                    ) : null}
                  </>
                ),
              },
              { header: t('ui.criteria.col.required'), class: 'nowrap', cell: (c) => requirement(w, c) },
              {
                header: t('ui.criteria.col.evidence'),
                class: 'nowrap',
                cell: (c) =>
                  c.departments?.length && c.value !== null
                    ? t('ui.criteria.lowest', { value: value(w, c, c.value) })
                    : value(w, c, c.value),
              },
              { header: t('ui.criteria.col.verdict'), cell: (c) => <Badge state={c.verdict} /> },
            ]}
          />
        </div>
      )}
    </section>
  );
}
