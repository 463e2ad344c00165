import { Link } from 'wouter-preact';
import type { CriterionResult } from '../../domain/rules/criteria';
import { ApiError, post } from '../api';
import { Badge, when } from '../components/Badge';
import { ConfirmAction, type Field, type Values } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { Table } from '../components/Table';
import { domainLabel } from '../components/nights';
import { usePoll } from '../poll';
import { ProgramFrame, useProgram, type GateView, type ProgramStatus } from '../program';
import { useCan, useSession } from '../session';
import { Direction } from './ParallelRun';
import type { IncidentRow } from '../components/incident';

export function GatesPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="gates">
      <Gates />
    </ProgramFrame>
  );
}

export function GatePage({ programId, gate }: { programId: string; gate: string }) {
  return (
    <ProgramFrame programId={programId} active="gates">
      <Gate gateKey={gate} />
    </ProgramFrame>
  );
}

// ------------------------------------------------------------------ words

export function gateTitle(gate: string): string {
  if (gate === 'readiness') return 'Readiness gate';
  if (gate === 'final') return 'Final gate';
  const wave = /^exit-(\d+)$/.exec(gate)?.[1];
  return wave === '1' ? 'Go/no-go after the pilot' : wave ? `Wave ${wave} exit gate` : gate;
}

/** What passing the gate lets happen. */
function gatePurpose(gate: string): string {
  if (gate === 'readiness') return 'Go lets the pilot wave start.';
  if (gate === 'final') return 'Go ends the parallel run: the legacy system may be retired.';
  const wave = Number(/^exit-(\d+)$/.exec(gate)?.[1]);
  return `Go closes ${wave === 1 ? 'the pilot' : `wave ${wave}`} and lets the next wave start (or, after the last wave, the parallel run finish).`;
}

/** "in 6 min", "3 min ago": how long the approvers have left, in the page's clock. */
function until(iso: string, now = Date.now()): string {
  const min = Math.round((Date.parse(iso) - now) / 60_000);
  const span = Math.abs(min) >= 120 ? `${Math.round(Math.abs(min) / 60)} h` : `${Math.abs(min)} min`;
  return min >= 0 ? `in ${span}` : `${span} ago`;
}

const ruleText = (g: GateView) =>
  g.rule.kind === 'all'
    ? `every one of the ${g.approvers.length} approvers must say go`
    : `${g.rule.required} of the ${g.approvers.length} approvers must say go`;

const criterionName: Record<string, string> = {
  'uat-severe-fixed': 'Severe UAT defects fixed',
  'uat-ordinary-fixed': 'Ordinary UAT defects fixed',
  'training-pass-rate': 'Staff passing the training exam',
  'backup-age': 'Age of the last full backup',
  'migration-verified': 'Data migration verified',
};

function value(c: Pick<CriterionResult, 'unit'>, v: number | boolean | null): string {
  if (v === null) return 'no evidence';
  if (c.unit === 'boolean') return v ? 'yes' : 'no';
  return c.unit === 'percent' ? `${String(v)}%` : `${String(v)} h`;
}
const requirement = (c: CriterionResult) =>
  `${c.comparator === '>=' ? 'at least' : c.comparator === '<=' ? 'at most' : ''} ${value(c, c.threshold)}`.trim();
const verdictLabel = { pass: 'pass', fail: 'fail', missing: 'missing' } as const;

// ------------------------------------------------------------------ the gates list

function Gates() {
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

// ------------------------------------------------------------------ one gate

interface RecordedDecision {
  round: number;
  approverId: string;
  decision: 'go' | 'no-go';
  overrideReason?: string;
  comment?: string;
  evidenceHash: string;
  decidedAt: string;
}
type GateDetail = GateView & { recordedDecisions: RecordedDecision[]; approverNames: Record<string, string> };

function Gate({ gateKey }: { gateKey: string }) {
  const { status, refresh } = useProgram();
  const detail = usePoll<GateDetail>(`/v1/programs/${encodeURIComponent(status.programId)}/gates/${encodeURIComponent(gateKey)}`, 5000);
  const gate = status.gates.find((g) => g.gate === gateKey);
  if (!gate) {
    return (
      <section>
        <h2>No gate “{gateKey}” in this plan</h2>
        <p>
          <Link href={`/programs/${status.programId}/gates`}>All gates</Link>
        </p>
      </section>
    );
  }
  const done = () => {
    refresh();
    detail.refresh();
  };
  return (
    <>
      <p class="crumbs">
        <Link href={`/programs/${status.programId}/gates`}>← All gates</Link>
      </p>
      <GateHead gate={gate} names={detail.data?.approverNames ?? {}} />
      <Criteria gate={gate} />
      <Decide gate={gate} programId={status.programId} names={detail.data?.approverNames ?? {}} onDone={done} />
      <RecordEvidence status={status} gate={gate} onDone={done} />
      <Decisions gate={gate} recorded={detail.data?.recordedDecisions} names={detail.data?.approverNames ?? {}} error={detail.error} />
      <div class="grid gate-evidence">
        <Trend status={status} gate={gate} />
        <GateIncidents programId={status.programId} />
      </div>
    </>
  );
}

function GateHead({ gate, names }: { gate: GateView; names: Record<string, string> }) {
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

function Criteria({ gate }: { gate: GateView }) {
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

const comment: Field = { name: 'comment', label: 'Comment (optional, shown with your decision)', kind: 'textarea' };
const text = (v: Values, k: string) => (typeof v[k] === 'string' && v[k].trim() ? v[k].trim() : undefined);

/** Go and No-go for the gate's approvers while it is open; everyone else is told who decides. */
function Decide({
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

/**
 * The lead records readiness evidence: UAT counts, one exam result for every department in the
 * gate's scope, the backup, the migration. Offered on every gate with criteria that has not said
 * go (an exit gate checks the next wave's training and the backup too).
 */
function RecordEvidence({ status, gate, onDone }: { status: ProgramStatus; gate: GateView; onDone: () => void }) {
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

function Decisions({
  gate,
  recorded,
  names,
  error,
}: {
  gate: GateView;
  recorded: RecordedDecision[] | undefined;
  names: Record<string, string>;
  error: unknown;
}) {
  // Until the recorded decisions arrive, the current round's from the live status.
  const rows: RecordedDecision[] =
    recorded ??
    gate.decisions.map((d) => ({
      round: gate.round,
      approverId: d.approverId,
      decision: d.decision,
      comment: d.comment,
      overrideReason: d.overrideReason,
      evidenceHash: d.evidenceHash,
      decidedAt: d.decidedAt,
    }));
  return (
    <section aria-labelledby="decisions-h">
      <h2 id="decisions-h">Decisions so far</h2>
      {error && !recorded ? <ErrorNote error={error} /> : null}
      <div class="table-scroll">
        <Table
          class="compact"
          testid="gate-decisions"
          rows={rows}
          rowKey={(d, i) => `${d.round}-${d.approverId}-${d.decidedAt}-${i}`}
          rowProps={(d) => ({ class: d.round === gate.round ? '' : 'earlier-round' })}
          empty="No decision yet."
          columns={[
            { header: 'Round', cell: (d) => d.round },
            { header: 'When', class: 'nowrap', cell: (d) => when(d.decidedAt) },
            {
              header: 'Who',
              rowHeader: true,
              class: 'nowrap',
              cell: (d) => (
                <>
                  {names[d.approverId] ?? d.approverId} <small>({d.approverId})</small>
                </>
              ),
            },
            {
              header: 'Decision',
              class: 'nowrap',
              cell: (d) => (
                <>
                  <Badge state={d.decision} /> {d.overrideReason ? <Badge state="overdue" label="override" /> : null}
                </>
              ),
            },
            { header: 'Override reason', cell: (d) => d.overrideReason ?? '—' },
            { header: 'Comment', cell: (d) => d.comment ?? '—' },
            { header: 'Evidence fingerprint', cell: (d) => <code title={d.evidenceHash}>{d.evidenceHash.slice(0, 12)}</code> },
          ]}
        />
      </div>
    </section>
  );
}

const notClean = (t: { warning: number; critical: number; failed: number }) =>
  (['warning', 'critical', 'failed'] as const)
    .filter((k) => t[k] > 0)
    .map((k) => `${t[k]} ${k}`)
    .join(', ') || 'none';

function Trend({ status, gate }: { status: ProgramStatus; gate: GateView }) {
  const pr = status.parallelRun;
  const wave = Number(/^exit-(\d+)$/.exec(gate.gate)?.[1] ?? 0);
  const since = wave ? pr.nightsSinceWaveLive.find((w) => w.wave === wave) : undefined;
  return (
    <section aria-labelledby="gtrend-h">
      <h2 id="gtrend-h">Comparison trend</h2>
      {!pr.started ? (
        <p>No night compared yet: the parallel run starts when the pilot goes live.</p>
      ) : (
        <>
          <p>
            {pr.nightsCompared} {pr.nightsCompared === 1 ? 'night' : 'nights'} compared
            {since
              ? ` · since ${wave === 1 ? 'the pilot' : `wave ${wave}`} went live: ${since.compared} compared, ${since.clean} clean, ${since.warning} warning, ${since.critical} critical, ${since.failed} failed`
              : ''}
            . <Link href={`/programs/${status.programId}/parallel-run`}>Nights and chart</Link>
          </p>
          <Table
            class="compact"
            testid="gate-trend"
            rows={pr.trend}
            rowKey={(t) => t.domain}
            columns={[
              { header: 'Domain', rowHeader: true, cell: (t) => domainLabel(t.domain) },
              { header: 'Clean streak', cell: (t) => t.cleanStreak },
              { header: 'Nights not clean', cell: (t) => notClean(t) },
              { header: 'Trend', class: 'nowrap', cell: (t) => <Direction direction={t.direction} /> },
            ]}
          />
        </>
      )}
    </section>
  );
}

function GateIncidents({ programId }: { programId: string }) {
  const { data, error } = usePoll<{ incidents: IncidentRow[] }>(`/v1/incidents?programId=${encodeURIComponent(programId)}&limit=100`, 5000);
  const open = (data?.incidents ?? []).filter((i) => i.status !== 'resolved');
  return (
    <section aria-labelledby="gincidents-h">
      <h2 id="gincidents-h">Open incidents</h2>
      {!data ? (
        error ? (
          <ErrorNote error={error} />
        ) : (
          <p aria-busy="true">Loading…</p>
        )
      ) : open.length === 0 ? (
        <p data-testid="gate-incidents">None open.</p>
      ) : (
        <ul data-testid="gate-incidents">
          {open.map((i) => (
            <li key={i.incidentId}>
              <Badge state={i.severity} label={i.severity.toUpperCase()} /> <Link href={`/incidents/${i.incidentId}`}>{i.condition}</Link> ·{' '}
              {i.departments.length ? i.departments.join(', ') : 'hospital-wide'} · <Badge state={i.status} /> · raised {when(i.raisedAt)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
