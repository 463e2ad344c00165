/** The lead's form for readiness evidence (UAT, training, backup, migration) on a gate. */
import { ApiError, post } from '../../api';
import { ConfirmAction, type Field, type Values } from '../../components/ConfirmAction';
import { useWords } from '../../i18n';
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
  const { t, list } = useWords();
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
    if (given > 0 && given < 4) return Promise.reject(refuse(t('ui.evidence.allFourUat')));
    if (given === 4) evidence.uat = Object.fromEntries(uat);
    const [examined, passed] = [count(v, 'examined'), count(v, 'passed')];
    if ((examined === undefined) !== (passed === undefined)) return Promise.reject(refuse(t('ui.evidence.bothStaff')));
    if (examined !== undefined && passed !== undefined)
      evidence.training = Object.fromEntries(scope.map((code) => [code, { examined, passed }]));
    if ((v.backup as string[]).length) evidence.backup = { takenAt: new Date().toISOString() };
    if ((v.migration as string[]).length) evidence.migration = { verified: true };
    if (Object.keys(evidence).length === 0) return Promise.reject(refuse(t('ui.evidence.nothing')));
    return post(`/v1/programs/${encodeURIComponent(status.programId)}/evidence`, { evidence, comment: text(v, 'comment') }, key);
  };
  return (
    <section aria-labelledby="evidence-h" class="record-evidence">
      <h2 id="evidence-h">{t('ui.evidence.title')}</h2>
      <p>{t('ui.evidence.intro')}</p>
      <div class="action-row" data-testid="record-evidence">
        <ConfirmAction
          label={t('ui.evidence.button')}
          title={t('ui.evidence.question')}
          effect={
            <p>
              {t('ui.evidence.effect', { departments: list(scope) })} {gate.status === 'open' ? t('ui.evidence.gateOpen') : ''}
            </p>
          }
          fields={[
            n('severeTotal', t('ui.evidence.severeTotal')),
            n('severeFixed', t('ui.evidence.severeFixed')),
            n('ordinaryTotal', t('ui.evidence.ordinaryTotal')),
            n('ordinaryFixed', t('ui.evidence.ordinaryFixed')),
            n('examined', t('ui.evidence.examined')),
            n('passed', t('ui.evidence.passed')),
            {
              name: 'backup',
              label: t('ui.evidence.backup'),
              kind: 'checkboxes',
              options: [{ value: 'now', label: t('ui.evidence.backupNow') }],
            },
            {
              name: 'migration',
              label: t('ui.evidence.migration'),
              kind: 'checkboxes',
              options: [{ value: 'verified', label: t('ui.evidence.migrationVerified') }],
            },
            { name: 'comment', label: t('ui.evidence.comment'), kind: 'text' },
          ]}
          confirmLabel={t('ui.evidence.confirm')}
          run={run}
          onDone={onDone}
        />
      </div>
    </section>
  );
}
