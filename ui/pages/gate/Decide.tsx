/** An approver's go or no-go on an open gate (with an override when criteria fail). */
import { post } from '../../api';
import { ConfirmAction, type Field } from '../../components/ConfirmAction';
import { useWords } from '../../i18n';
import type { GateView } from '../../program';
import { useSession } from '../../session';
import { criterionName, gatePurpose, gateTitle, ruleText, text } from './words';

/** Go and No-go for the gate's approvers while it is open; everyone else is told who decides. */
export function Decide({
  gate,
  programId,
  names,
  onDone,
}: {
  gate: GateView;
  programId: string;
  names: Record<string, string>;
  onDone: () => void;
}) {
  const w = useWords();
  const { t, when, list } = w;
  const me = useSession().person.personId;
  const isApprover = gate.approvers.some((a) => a.personId === me);
  const approverNames = list(gate.approvers.map((a) => names[a.personId] ?? a.personId));
  const notPassing = gate.criteria.filter((c) => c.verdict !== 'pass');
  const mine = gate.decisions.find((d) => d.approverId === me);
  const path = `/v1/programs/${encodeURIComponent(programId)}/gates/${encodeURIComponent(gate.gate)}/decisions`;
  const comment: Field = { name: 'comment', label: t('ui.decide.comment'), kind: 'textarea' };
  const failing = list(
    notPassing.map((c) => t('ui.decide.criterionVerdict', { name: criterionName(w, c.id), verdict: t(`ui.state.${c.verdict}`) })),
  );

  if (gate.status !== 'open' || !isApprover) {
    return (
      <section aria-labelledby="decide-h" class="decide">
        <h2 id="decide-h">{t('ui.decide.title')}</h2>
        <p data-testid="gate-who-decides">
          {gate.status === 'open'
            ? t('ui.decide.whoOpen', { names: approverNames })
            : gate.status === 'closed'
              ? t('ui.decide.whoClosed', { requested: gate.round === 0 ? 'no' : 'yes', names: approverNames })
              : t('ui.decide.whoDecided', {
                  hasTime: gate.closedAt ? 'yes' : 'no',
                  decision: t(`ui.state.${gate.status}`),
                  time: when(gate.closedAt),
                  names: approverNames,
                })}
        </p>
      </section>
    );
  }
  const overrideField: Field = {
    name: 'override',
    label: t('ui.decide.override'),
    kind: 'textarea',
    required: true,
    hint: t('ui.decide.overrideHint'),
  };
  const rule = ruleText(w, gate);
  return (
    <section aria-labelledby="decide-h" class="decide open">
      <h2 id="decide-h">{t('ui.decide.yours')}</h2>
      <p>
        {t('ui.decide.youApprove', { rule })}{' '}
        {mine ? t('ui.decide.mine', { decision: t(`ui.state.${mine.decision}`), time: when(mine.decidedAt) }) : t('ui.decide.notYet')}
      </p>
      {notPassing.length ? (
        <p class="warn-note">
          <strong>{t('ui.decide.notPassing', { criteria: failing })}</strong>
        </p>
      ) : null}
      <div class="action-row">
        <ConfirmAction
          testId="gate-go"
          label={t('ui.decide.go')}
          title={t('ui.decide.goTitle', { gate: gateTitle(w, gate.gate) })}
          effect={
            <>
              <p>
                {t('ui.decide.goEffect')} {gatePurpose(w, gate.gate)} {t('ui.decide.rule', { rule })}
              </p>
              {notPassing.length ? (
                <p class="warn-note">
                  <strong>{t('ui.decide.overrideNeeded', { criteria: failing })}</strong>
                </p>
              ) : (
                <p>{t('ui.decide.allPass')}</p>
              )}
            </>
          }
          fields={notPassing.length ? [overrideField, comment] : [comment]}
          confirmLabel={notPassing.length ? t('ui.decide.goOverride') : t('ui.decide.go')}
          run={(v, key) =>
            post(
              path,
              {
                decision: 'go',
                comment: text(v, 'comment'),
                override: notPassing.length ? { reason: text(v, 'override') ?? '' } : undefined,
              },
              key,
            )
          }
          onDone={onDone}
        />
        <ConfirmAction
          testId="gate-no-go"
          label={t('ui.decide.noGo')}
          danger
          title={t('ui.decide.noGoTitle', { gate: gateTitle(w, gate.gate) })}
          effect={
            <p>
              <strong>{t('ui.decide.noGoEffect')}</strong>
            </p>
          }
          fields={[{ ...comment, label: t('ui.decide.commentNoGo') }]}
          confirmLabel={t('ui.decide.noGo')}
          run={(v, key) => post(path, { decision: 'no-go', comment: text(v, 'comment') }, key)}
          onDone={onDone}
        />
      </div>
    </section>
  );
}
