/** The lead's form for readiness evidence (UAT, training, backup, migration) on a gate. */
import { ApiError, post } from '../../api';
import { ConfirmAction, type Field, type Values } from '../../components/ConfirmAction';
import type { GateView, ProgramStatus } from '../../program';
import { useCan } from '../../session';
import { text } from './words';

/**
 * The lead records readiness evidence: UAT counts, one exam result for every department in the
 * gate's scope, the backup, the migration. Offered on every gate with criteria that has not said
 * go (an exit gate checks the next wave's training and the backup too).
 */
export function RecordEvidence({ status, gate, onDone }: { status: ProgramStatus; gate: GateView; onDone: () => void }) {
  const isLead = useCan('lead', 'admin');
  if (!isLead || !status.allowedActions.includes('record-evidence') || gate.status === 'go' || gate.criteria.length === 0) return null;
  const scope =
    gate.criteria.find((c) => c.id === 'training-pass-rate')?.departments?.map((d) => d.code) ??
    status.departments.filter((d) => d.wave === 1).map((d) => d.code);
  const n = (name: string, label: string): Field => ({ name, label, kind: 'number', min: 0 });
  const refuse = (message: string) => new ApiError(400, 'invalid', message, {});
  const count = (v: Values, k: string) => (text(v, k) === undefined ? undefined : Number(text(v, k)));
  const run = (v: Values, key: string) => {
    const evidence: Record<string, unknown> = {};
    const uat = ['severeTotal', 'severeFixed', 'ordinaryTotal', 'ordinaryFixed'].map((k) => [k, count(v, k)] as const);
    const given = uat.filter(([, x]) => x !== undefined).length;
    if (given > 0 && given < 4) return Promise.reject(refuse('give all four UAT counts, or none'));
    if (given === 4) evidence.uat = Object.fromEntries(uat);
    const [examined, passed] = [count(v, 'examined'), count(v, 'passed')];
    if ((examined === undefined) !== (passed === undefined))
      return Promise.reject(refuse('give both staff examined and staff passed, or neither'));
    if (examined !== undefined && passed !== undefined)
      evidence.training = Object.fromEntries(scope.map((code) => [code, { examined, passed }]));
    if ((v.backup as string[]).length) evidence.backup = { takenAt: new Date().toISOString() };
    if ((v.migration as string[]).length) evidence.migration = { verified: true };
    if (Object.keys(evidence).length === 0) return Promise.reject(refuse('nothing to record: fill in at least one part'));
    return post(`/v1/programs/${encodeURIComponent(status.programId)}/evidence`, { evidence, comment: text(v, 'comment') }, key);
  };
  return (
    <section aria-labelledby="evidence-h" class="record-evidence">
      <h2 id="evidence-h">Record evidence</h2>
      <p>
        The criteria above are evaluated on the evidence recorded so far; each part recorded replaces the same part recorded before, other
        parts stay.
      </p>
      <div class="action-row" data-testid="record-evidence">
        <ConfirmAction
          label="Record readiness evidence"
          title="Record readiness evidence?"
          effect={
            <p>
              The filled-in parts replace what was recorded before; blank parts stay as they are. The exam result is recorded for each
              department this gate lets go live: <strong>{scope.join(', ')}</strong>.{' '}
              {gate.status === 'open' ? 'The gate is open: its approvers see the new evidence at once.' : ''}
            </p>
          }
          fields={[
            n('severeTotal', 'Severe UAT defects found'),
            n('severeFixed', 'Severe UAT defects fixed'),
            n('ordinaryTotal', 'Ordinary UAT defects found'),
            n('ordinaryFixed', 'Ordinary UAT defects fixed'),
            n('examined', 'Staff examined (per department)'),
            n('passed', 'Staff passed (per department)'),
            { name: 'backup', label: 'Backup', kind: 'checkboxes', options: [{ value: 'now', label: 'A full backup was taken just now' }] },
            {
              name: 'migration',
              label: 'Migration',
              kind: 'checkboxes',
              options: [{ value: 'verified', label: 'The data migration is verified' }],
            },
            { name: 'comment', label: 'Comment (optional, kept in the audit trail)', kind: 'text' },
          ]}
          confirmLabel="Record"
          run={run}
          onDone={onDone}
        />
      </div>
    </section>
  );
}
