import { post } from '../api';
import { pausedNote, type ProgramStatus } from '../program';
import { useNames } from '../people';
import { useCan } from '../session';
import { ConfirmAction, type Field } from './ConfirmAction';
import { useWords } from '../i18n';
import { gateTitle } from '../pages/gate/words';

/** The reason and comment fields every action shares, in the page's words. */
function useFields() {
  const { t } = useWords();
  const reason: Field = { name: 'reason', label: t('ui.common.reason'), kind: 'textarea', required: true };
  const comment: Field = { name: 'comment', label: t('ui.common.comment'), kind: 'textarea' };
  return { reason, comment };
}
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
  const w = useWords();
  const { t, list } = w;
  const { reason, comment } = useFields();
  const name = useNames(status.gates.flatMap((g) => g.approvers.map((a) => a.personId)));
  if (!isLead && !isResponder) return null;
  const base = `/v1/programs/${status.programId}`;
  const depsOf = (wave: number) => status.departments.filter((d) => d.wave === wave).map((d) => d.code);
  const approversOf = (gate: string) => {
    const approvers = status.gates.find((g) => g.gate === gate)?.approvers.map((a) => name(a.personId));
    return approvers ? list(approvers) : t('ui.actions.itsApprovers');
  };
  const rollBackable = allowed(status, 'roll-back').map(([code]) => code!);
  return (
    <section aria-labelledby="actions-h" class="actions">
      <h2 id="actions-h">{t('ui.actions.title')}</h2>
      <div class="action-row">
        {isLead
          ? allowed(status, 'request-gate').map(([gate]) => (
              <ConfirmAction
                key={`rq-${gate}`}
                label={t('ui.actions.requestGate', { gate: gateTitle(w, gate!) })}
                title={t('ui.actions.requestGateQ', { gate: gateTitle(w, gate!) })}
                effect={<p>{t('ui.actions.requestGateEffect', { approvers: approversOf(gate!) })}</p>}
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
                label={t('ui.actions.startWave', { wave: Number(wave) })}
                title={t('ui.actions.startWaveQ', { wave: Number(wave) })}
                effect={<p>{t('ui.actions.startWaveEffect', { departments: list(depsOf(Number(wave))) })}</p>}
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
                label={t('ui.actions.retry', { code: code! })}
                title={t('ui.actions.retryQ', { code: code! })}
                effect={<p>{t('ui.actions.retryEffect', { code: code! })}</p>}
                fields={[reason]}
                run={(v, key) => post(`${base}/departments/${code}/retry`, { reason: v.reason }, key)}
                onDone={onDone}
              />
            ))
          : null}
        {isLead && rollBackable.length ? (
          <ConfirmAction
            label={t('ui.actions.rollBack')}
            danger
            title={t('ui.actions.rollBackQ')}
            effect={<p>{t('ui.actions.rollBackEffect')}</p>}
            fields={[
              {
                name: 'departments',
                label: t('ui.actions.departments'),
                kind: 'checkboxes',
                options: rollBackable.map((c) => ({ value: c, label: c })),
              },
              reason,
            ]}
            confirmLabel={t('ui.actions.rollBackNow')}
            run={(v, key) => post(`${base}/rollbacks`, { departments: v.departments, reason: v.reason }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead
          ? allowed(status, 'mark-undone').map(([code, step]) => (
              <ConfirmAction
                key={`mu-${code}`}
                label={t('ui.actions.markUndone', { code: code!, step: step! })}
                title={t('ui.actions.markUndoneQ', { code: code!, step: step! })}
                effect={<p>{t('ui.actions.markUndoneEffect', { code: code! })}</p>}
                fields={[reason]}
                run={(v, key) => post(`${base}/departments/${code}/rollback/manual-steps`, { stepId: step, reason: v.reason }, key)}
                onDone={onDone}
              />
            ))
          : null}
        {isLead && status.phase === 'readiness' ? (
          <ConfirmAction
            label={t('ui.actions.verifyMigration')}
            title={t('ui.actions.verifyMigrationQ')}
            effect={<p>{t('ui.actions.verifyMigrationEffect')}</p>}
            fields={[comment]}
            run={(v, key) => post(`${base}/migration-verifications`, { comment: opt(v, 'comment') }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead && status.allowedActions.includes('resume') ? (
          <ConfirmAction
            label={t('ui.actions.resume')}
            title={t('ui.actions.resumeQ')}
            effect={
              <>
                {/* Why it is paused, worded from the status as the banner words it, not as the workflow wrote it. */}
                <p>{status.pausedReason ? pausedNote(status, w) : t('ui.actions.noReason')}</p>
                <p>{t('ui.actions.resumeEffect')}</p>
              </>
            }
            fields={[reason]}
            run={(v, key) => post(`${base}/resume`, { reason: v.reason }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead && status.allowedActions.includes('extend-parallel-run') ? (
          <ConfirmAction
            label={t('ui.actions.extend')}
            title={t('ui.actions.extendQ')}
            effect={<p>{t('ui.actions.extendEffect')}</p>}
            fields={[{ name: 'by', label: t('ui.actions.extendBy'), required: true, initial: 'P7D' }, reason]}
            run={(v, key) => post(`${base}/parallel-run/extensions`, { by: v.by, reason: v.reason }, key)}
            onDone={onDone}
          />
        ) : null}
        {isLead && status.allowedActions.includes('compare-again') ? (
          <ConfirmAction
            label={t('ui.actions.compareAgain')}
            title={t('ui.actions.compareAgainQ')}
            effect={<p>{t('ui.actions.compareAgainEffect')}</p>}
            fields={[
              {
                name: 'businessDay',
                label: t('ui.actions.businessDay', { format: 'YYYY-MM-DD' }),
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
            label={t('ui.actions.complete')}
            danger
            title={t('ui.actions.completeQ')}
            effect={<p>{t('ui.actions.completeEffect')}</p>}
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
  const { t } = useWords();
  const { reason } = useFields();
  if (!isResponder) return null;
  const base = `/v1/programs/${status.programId}`;
  const e = status.emergency && status.emergency.status !== 'closed' ? status.emergency : undefined;
  const codes = status.departments.map((d) => ({ value: d.code, label: d.code }));
  return (
    <>
      {status.allowedActions.includes('declare-emergency') && !e ? (
        <ConfirmAction
          label={t('ui.actions.declare')}
          danger
          title={t('ui.actions.declareQ')}
          effect={
            <p>
              <strong>{t('ui.actions.declareEffect')}</strong>
            </p>
          }
          fields={[
            {
              name: 'departments',
              label: t('ui.actions.declareDepartments'),
              kind: 'checkboxes',
              options: codes,
            },
            reason,
          ]}
          confirmLabel={t('ui.actions.declareNow')}
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
          label={t('ui.actions.backlog')}
          title={t('ui.actions.backlogQ')}
          effect={<p>{t('ui.actions.backlogEffect')}</p>}
          fields={[
            {
              name: 'department',
              label: t('ui.actions.department'),
              kind: 'select',
              required: true,
              options: (e.departments.length ? e.departments : status.departments.map((d) => d.code)).map((c) => ({ value: c, label: c })),
            },
            { name: 'paperRecords', label: t('ui.actions.paperRecords'), kind: 'number', min: 0, required: true },
          ]}
          run={(v, key) => post(`${base}/emergency/backlog`, { department: v.department, paperRecords: Number(v.paperRecords) }, key)}
          onDone={onDone}
        />
      ) : null}
      {e && status.allowedActions.includes('restore-systems') ? (
        <ConfirmAction
          label={t('ui.actions.restore')}
          title={t('ui.actions.restoreQ')}
          effect={<p>{t('ui.actions.restoreEffect')}</p>}
          fields={[reason]}
          run={(v, key) => post(`${base}/emergency/restore`, { reason: v.reason }, key)}
          onDone={onDone}
        />
      ) : null}
      {e && isLead && status.allowedActions.includes('close-emergency') ? (
        <ConfirmAction
          label={t('ui.actions.close')}
          title={t('ui.actions.closeQ')}
          effect={<p>{t('ui.actions.closeEffect')}</p>}
          fields={[
            {
              name: 'reconciliation',
              label: t('ui.actions.reconciledBy'),
              kind: 'select',
              options: [
                { value: 'comparison', label: t('ui.actions.reconciledComparison') },
                { value: 'manual', label: t('ui.actions.reconciledManual') },
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
              label={t('ui.actions.resumeDepartment', { code: code! })}
              title={t('ui.actions.resumeDepartmentQ', { code: code! })}
              effect={<p>{t('ui.actions.resumeDepartmentEffect', { code: code! })}</p>}
              fields={[reason]}
              run={(v, key) => post(`${base}/departments/${code}/resume`, { reason: v.reason }, key)}
              onDone={onDone}
            />
          ))
        : null}
    </>
  );
}
