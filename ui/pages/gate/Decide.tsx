/** An approver's go or no-go on an open gate (with an override when criteria fail). */
import { post } from '../../api';
import { Badge, when } from '../../components/Badge';
import { ConfirmAction, type Field } from '../../components/ConfirmAction';
import type { GateView } from '../../program';
import { useSession } from '../../session';
import { criterionName, gatePurpose, gateTitle, ruleText, text } from './words';

const comment: Field = { name: 'comment', label: 'Comment (optional, shown with your decision)', kind: 'textarea' };

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
  const me = useSession().person.personId;
  const isApprover = gate.approvers.some((a) => a.personId === me);
  const approverNames = gate.approvers.map((a) => names[a.personId] ?? a.personId).join(', ');
  const notPassing = gate.criteria.filter((c) => c.verdict !== 'pass');
  const mine = gate.decisions.find((d) => d.approverId === me);
  const path = `/v1/programs/${encodeURIComponent(programId)}/gates/${encodeURIComponent(gate.gate)}/decisions`;

  if (gate.status !== 'open' || !isApprover) {
    return (
      <section aria-labelledby="decide-h" class="decide">
        <h2 id="decide-h">Decision</h2>
        <p data-testid="gate-who-decides">
          {gate.status === 'open'
            ? `Open for decision. Only the named approvers may decide: ${approverNames}.`
            : gate.status === 'closed'
              ? `Not open for decision${gate.round === 0 ? ': the cutover lead requests it when the evidence is ready' : ''}. When it is, its approvers decide: ${approverNames}.`
              : `Decided: ${gate.status}${gate.closedAt ? ` on ${when(gate.closedAt)}` : ''}. Its approvers: ${approverNames}.`}
        </p>
      </section>
    );
  }
  const overrideField: Field = {
    name: 'override',
    label: 'Override reason (required: recorded with your decision and shown to everyone)',
    kind: 'textarea',
    required: true,
    hint: 'At least 3 characters.',
  };
  return (
    <section aria-labelledby="decide-h" class="decide open">
      <h2 id="decide-h">Your decision</h2>
      <p>
        You are an approver of this gate ({ruleText(gate)}).{' '}
        {mine ? (
          <>
            You decided <Badge state={mine.decision} /> on {when(mine.decidedAt)}; you may change your mind while the gate is open.
          </>
        ) : (
          'You have not decided yet.'
        )}
      </p>
      {notPassing.length ? (
        <p class="warn-note">
          <strong>Not every criterion passes</strong> ({notPassing.map((c) => `${criterionName[c.id] ?? c.id}: ${c.verdict}`).join('; ')}):
          a go needs an override with a reason.
        </p>
      ) : null}
      <div class="action-row">
        <ConfirmAction
          testId="gate-go"
          label="Go"
          title={`Say go on the ${gateTitle(gate.gate).toLowerCase()}?`}
          effect={
            <>
              <p>
                Your go is recorded with the evidence as it stands now (its fingerprint is kept with your decision).{' '}
                {gatePurpose(gate.gate)} Rule: {ruleText(gate)}.
              </p>
              {notPassing.length ? (
                <p class="warn-note">
                  <strong>An override is required:</strong> these criteria do not pass —{' '}
                  {notPassing.map((c) => `${criterionName[c.id] ?? c.id} (${c.verdict})`).join(', ')}. By saying go you take responsibility
                  for going ahead anyway; give the reason.
                </p>
              ) : (
                <p>Every criterion passes.</p>
              )}
            </>
          }
          fields={notPassing.length ? [overrideField, comment] : [comment]}
          confirmLabel={notPassing.length ? 'Go, with override' : 'Go'}
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
          label="No-go"
          danger
          title={`Say no-go on the ${gateTitle(gate.gate).toLowerCase()}?`}
          effect={
            <p>
              <strong>A no-go is a veto:</strong> the gate closes as no-go at once, recorded with the evidence as it stands now. The cutover
              lead may request it again (a new round) after fixing what is wrong. Say why in the comment.
            </p>
          }
          fields={[{ ...comment, label: 'Comment (why not; shown with your decision)' }]}
          confirmLabel="No-go"
          run={(v, key) => post(path, { decision: 'no-go', comment: text(v, 'comment') }, key)}
          onDone={onDone}
        />
      </div>
    </section>
  );
}
