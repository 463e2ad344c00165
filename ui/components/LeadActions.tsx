import { post } from '../api';
import type { ProgramStatus } from '../program';
import { useCan } from '../session';
import { ConfirmAction, type Field } from './ConfirmAction';

const reason: Field = { name: 'reason', label: 'Reason (kept in the audit trail)', kind: 'textarea', required: true };
const comment: Field = { name: 'comment', label: 'Comment (optional)', kind: 'textarea' };
const opt = (v: Record<string, string | string[]>, k: string) => (typeof v[k] === 'string' && v[k] ? (v[k] as string) : undefined);

/** The allowed actions of the workflow, parsed: "start-wave:2" -> ["start-wave", "2"]. */
function allowed(status: ProgramStatus, kind: string): string[][] {
  return status.allowedActions.filter((a) => a === kind || a.startsWith(`${kind}:`)).map((a) => a.split(':').slice(1));
}

/**
 * What the cutover lead can do now, as the workflow itself lists it (allowedActions): each a
 * button whose confirmation names the effect. The workflow still validates every one.
 */
export function LeadActions({ status, onDone }: { status: ProgramStatus; onDone: () => void }) {
  const isLead = useCan('lead', 'admin');
  const isResponder = useCan('lead', 'oncall', 'admin');
  if (!isLead && !isResponder) return null;
  const base = `/v1/programs/${status.programId}`;
  const depsOf = (wave: number) => status.departments.filter((d) => d.wave === wave).map((d) => d.code);
  const approversOf = (gate: string) =>
    status.gates
      .find((g) => g.gate === gate)
      ?.approvers.map((a) => a.personId)
      .join(', ') ?? 'its approvers';
  const rollBackable = allowed(status, 'roll-back').map(([code]) => code!);
  return (
    <section aria-labelledby="actions-h" class="actions">
      <h2 id="actions-h">Actions</h2>
      <div class="action-row">
        {isLead
          ? allowed(status, 'request-gate').map(([gate]) => (
              <ConfirmAction
                key={`rq-${gate}`}
                label={`Request gate ${gate}`}
                title={`Open the ${gate} gate for decision?`}
                effect={
                  <p>The approvers ({approversOf(gate!)}) are e-mailed and asked to decide go or no-go on the evidence as it stands now.</p>
                }
                fields={[comment]}
                run={(v, key) => post(`${base}/gates/${gate}/requests`, { comment: opt(v, 'comment') }, key)}
                onDone={onDone}
              />
            ))
          : null}
        {isLead
          ? allowed(status, 'start-wave').map(([wave]) => (
              <ConfirmAction
                key={`sw-${wave}`}
                label={`Start wave ${wave}`}
                title={`Start wave ${wave} now?`}
                effect={
                  <p>
                    These departments begin their go-live steps now and will work on the new system:{' '}
                    <strong>{depsOf(Number(wave)).join(', ')}</strong>.
                  </p>
                }
                fields={[comment]}
                run={(v, key) => post(`${base}/waves/${wave}/start`, { comment: opt(v, 'comment') }, key)}
                onDone={onDone}
              />
            ))
          : null}
        {isLead
          ? allowed(status, 'retry-department').map(([code]) => (
              <ConfirmAction
                key={`rt-${code}`}
                label={`Retry ${code}`}
                title={`Retry ${code}'s go-live?`}
                effect={<p>{code}'s remaining go-live steps run again, from the one that failed.</p>}
                fields={[reason]}
                run={(v, key) => post(`${base}/departments/${code}/retry`, { reason: v.reason }, key)}
                onDone={onDone}
              />
            ))
          : null}
        {isLead && rollBackable.length ? (
          <ConfirmAction
            label="Roll back…"
            danger
            title="Roll back departments to the legacy system?"
            effect={
              <p>
                The chosen departments return to the legacy system: their go-live steps are undone in reverse order. Staff must be told to
                use the legacy system again.
              </p>
            }
            fields={[
              { name: 'departments', label: 'Departments', kind: 'checkboxes', options: rollBackable.map((c) => ({ value: c, label: c })) },
              reason,
            ]}
            confirmLabel="Roll back now"
            run={(v, key) => post(`${base}/rollbacks`, { departments: v.departments, reason: v.reason }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead
          ? allowed(status, 'mark-undone').map(([code, step]) => (
              <ConfirmAction
                key={`mu-${code}`}
                label={`${code}: ${step} undone by hand`}
                title={`Record that ${step} of ${code} was undone by hand?`}
                effect={
                  <p>
                    The rollback of {code} continues with the next step as if this compensation had succeeded. Only confirm once it really
                    was undone.
                  </p>
                }
                fields={[reason]}
                run={(v, key) => post(`${base}/departments/${code}/rollback/manual-steps`, { stepId: step, reason: v.reason }, key)}
                onDone={onDone}
              />
            ))
          : null}
        {isLead && status.phase === 'readiness' ? (
          <ConfirmAction
            label="Verify the migration"
            title="Verify the data migration now?"
            effect={
              <p>
                Both systems' whole history is compared, domain by domain, in key ranges the workers share. When it finishes without a
                difference, the readiness criterion &ldquo;data migration verified&rdquo; passes by itself; any difference fails it, with
                the differences kept for download.
              </p>
            }
            fields={[comment]}
            run={(v, key) => post(`${base}/migration-verifications`, { comment: opt(v, 'comment') }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead && status.allowedActions.includes('resume') ? (
          <ConfirmAction
            label="Resume the program"
            title="Resume the paused program?"
            effect={<p>The program leaves its pause ({status.pausedReason ?? 'no reason given'}); waves and gates may go on.</p>}
            fields={[reason]}
            run={(v, key) => post(`${base}/resume`, { reason: v.reason }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead && status.allowedActions.includes('extend-parallel-run') ? (
          <ConfirmAction
            label="Extend the parallel run"
            title="Extend the parallel run?"
            effect={<p>Both systems stay in use longer; the final gate waits at least until the new end.</p>}
            fields={[
              { name: 'by', label: 'By (ISO duration: P7D is seven days, PT30M thirty minutes)', required: true, initial: 'P7D' },
              reason,
            ]}
            run={(v, key) => post(`${base}/parallel-run/extensions`, { by: v.by, reason: v.reason }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead && status.allowedActions.includes('compare-again') ? (
          <ConfirmAction
            label="Compare a day again"
            title="Compare a business day again?"
            effect={<p>Every domain of that day is compared again tonight-style, and the result replaces the night's in the grid.</p>}
            fields={[
              {
                name: 'businessDay',
                label: 'Business day (YYYY-MM-DD)',
                required: true,
                initial: status.parallelRun.lastNight?.businessDay,
              },
              reason,
            ]}
            run={(v, key) => post(`${base}/parallel-run/comparisons`, { businessDay: v.businessDay, reason: v.reason }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead && status.allowedActions.includes('complete') ? (
          <ConfirmAction
            label="Complete: retire legacy"
            danger
            title="Complete the program and retire the legacy system?"
            effect={<p>The parallel run ends and the legacy system is retired for every department. This is the end of the go-live.</p>}
            fields={[comment]}
            run={(v, key) => post(`${base}/complete`, { comment: opt(v, 'comment') }, key)}
            onDone={onDone}
          />
        ) : null}
        {isResponder ? <EmergencyActions status={status} onDone={onDone} /> : null}
      </div>
    </section>
  );
}

/** Declare, back-entry, restore and close: on the overview and on the emergency page. */
export function EmergencyActions({ status, onDone }: { status: ProgramStatus; onDone: () => void }) {
  const isResponder = useCan('lead', 'oncall', 'admin');
  const isLead = useCan('lead', 'admin');
  if (!isResponder) return null;
  const base = `/v1/programs/${status.programId}`;
  const e = status.emergency && status.emergency.status !== 'closed' ? status.emergency : undefined;
  const codes = status.departments.map((d) => ({ value: d.code, label: d.code }));
  return (
    <>
      {status.allowedActions.includes('declare-emergency') && !e ? (
        <ConfirmAction
          label="Declare emergency"
          danger
          title="Declare an emergency and switch to paper?"
          effect={
            <p>
              <strong>The cutover pauses at once.</strong> The chosen departments (none chosen: the whole hospital) go on downtime
              procedures with their paper packets, and leadership, the on-call ladder and the emergency contacts are all told now.
            </p>
          }
          fields={[
            {
              name: 'departments',
              label: 'Departments on paper (leave all unticked for the whole hospital)',
              kind: 'checkboxes',
              options: codes,
            },
            reason,
          ]}
          confirmLabel="Declare emergency now"
          run={(v, key) =>
            post(
              `${base}/emergencies`,
              { departments: (v.departments as string[]).length ? v.departments : undefined, reason: v.reason },
              key,
            )
          }
          onDone={onDone}
        />
      ) : null}
      {e && status.allowedActions.includes('record-backlog') ? (
        <ConfirmAction
          label="Record back-entry backlog"
          title="Record a department's paper backlog?"
          effect={
            <p>
              The number of paper records still to be entered into the system for this department. The emergency closes only when every
              backlog is 0.
            </p>
          }
          fields={[
            {
              name: 'department',
              label: 'Department',
              kind: 'select',
              required: true,
              options: (e.departments.length ? e.departments : status.departments.map((d) => d.code)).map((c) => ({ value: c, label: c })),
            },
            { name: 'paperRecords', label: 'Paper records awaiting back-entry', kind: 'number', min: 0, required: true },
          ]}
          run={(v, key) => post(`${base}/emergency/backlog`, { department: v.department, paperRecords: Number(v.paperRecords) }, key)}
          onDone={onDone}
        />
      ) : null}
      {e && status.allowedActions.includes('restore-systems') ? (
        <ConfirmAction
          label="Systems restored"
          title="Declare the systems restored (all-clear step 1)?"
          effect={<p>Departments leave downtime and go back to the systems; back-entry of the paper records starts.</p>}
          fields={[reason]}
          run={(v, key) => post(`${base}/emergency/restore`, { reason: v.reason }, key)}
          onDone={onDone}
        />
      ) : null}
      {e && isLead && status.allowedActions.includes('close-emergency') ? (
        <ConfirmAction
          label="Close the emergency"
          title="Close the emergency (all-clear step 2)?"
          effect={
            <p>
              Every backlog is 0; the downtime window must reconcile, by a clean comparison of the window or confirmed by hand. Paused
              go-lives then wait for you to resume or roll back each.
            </p>
          }
          fields={[
            {
              name: 'reconciliation',
              label: 'Reconciled by',
              kind: 'select',
              options: [
                { value: 'comparison', label: 'a clean comparison of the downtime window' },
                { value: 'manual', label: 'confirmed by hand' },
              ],
            },
            reason,
          ]}
          run={(v, key) => post(`${base}/emergency/close`, { reconciliation: v.reconciliation, reason: v.reason }, key)}
          onDone={onDone}
        />
      ) : null}
      {isLead
        ? allowed(status, 'resume-department').map(([code]) => (
            <ConfirmAction
              key={`rd-${code}`}
              label={`Resume ${code}`}
              title={`Resume ${code}'s paused go-live?`}
              effect={<p>{code}'s go-live continues with the step where the emergency stopped it.</p>}
              fields={[reason]}
              run={(v, key) => post(`${base}/departments/${code}/resume`, { reason: v.reason }, key)}
              onDone={onDone}
            />
          ))
        : null}
    </>
  );
}
