import type { ComponentChildren } from 'preact';
import { Link, useSearchParams } from 'wouter-preact';
import { post } from '../api';
import { Badge, when } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { after, duration } from '../components/format';
import { FactsTable, Table } from '../components/Table';
import {
  departmentsText,
  resolutionCodes,
  whatHappened,
  type IncidentDetail,
  type IncidentEvent,
  type IncidentRow,
} from '../components/incident';
import { usePoll } from '../poll';
import { useCan } from '../session';
import { useWords } from '../i18n';

const statuses = ['open', 'acknowledged', 'resolved'] as const;
const listLimit = 200;

/** Every incident, newest first, filtered by status and program; the filters live in the address so a filtered list can be shared. */
export function IncidentsPage() {
  const { locale } = useWords();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? '';
  const programId = params.get('programId') ?? '';
  const query = new URLSearchParams({ limit: String(listLimit) });
  if (status) query.set('status', status);
  if (programId) query.set('programId', programId);
  const { data, error } = usePoll<{ incidents: IncidentRow[] }>(`/v1/incidents?${query.toString()}`, 4000);
  const { data: programs } = usePoll<{ programs: { programId: string; hospital: string }[] }>('/v1/programs', 60_000);
  const setFilter = (key: string, value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value) next.set(key, value);
        else next.delete(key);
        return next;
      },
      { replace: true },
    );
  const rows = data?.incidents ?? [];
  const counts = status ? `${rows.length} ${status}` : statuses.map((s) => `${rows.filter((r) => r.status === s).length} ${s}`).join(', ');
  const now = Date.now();
  return (
    <main class="container">
      <h1>Incidents</h1>
      <form class="grid filters" role="search" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <label for="f-status">
          Status
          <select id="f-status" value={status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">any status</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label for="f-program">
          Program
          <select id="f-program" value={programId} onChange={(e) => setFilter('programId', e.currentTarget.value)}>
            <option value="">every program</option>
            {(programs?.programs ?? []).map((p) => (
              <option key={p.programId} value={p.programId}>
                {p.programId} ({p.hospital})
              </option>
            ))}
            {programId && programs && !programs.programs.some((p) => p.programId === programId) ? (
              <option value={programId}>{programId}</option>
            ) : null}
          </select>
        </label>
      </form>
      {data && error ? <p class="stale">Connection lost, showing the last answer.</p> : <ErrorNote error={error} />}
      {!data ? (
        !error && <p aria-busy="true">Loading…</p>
      ) : rows.length === 0 ? (
        <p data-testid="incident-list-empty">
          No incidents{status ? ` with status ${status}` : ''}
          {programId ? ` in ${programId}` : ''}.
        </p>
      ) : (
        <>
          <p>
            <small>
              {rows.length >= listLimit ? `The newest ${listLimit}: ` : ''}
              {counts}.
            </small>
          </p>
          <div class="table-scroll">
            <Table
              class="compact"
              testid="incident-list"
              rows={rows}
              rowKey={(i) => i.incidentId}
              rowProps={(i) => ({ class: `incident-row s-${i.status}` })}
              columns={[
                { header: 'Severity', cell: (i) => <Badge state={i.severity} label={i.severity.toUpperCase()} /> },
                {
                  header: 'What happened',
                  rowHeader: true,
                  cell: (i) => (
                    <>
                      <Link href={`/incidents/${i.incidentId}`}>{whatHappened(i.condition, i.counts)}</Link>
                      {i.repeats ? <small> · raised again {times(i.repeats)}</small> : null}
                    </>
                  ),
                },
                { header: 'Program', class: 'nowrap', cell: (i) => i.programId },
                { header: 'Departments', cell: (i) => departmentsText(i.departments) },
                { header: 'Status', cell: (i) => <Badge state={i.status} /> },
                {
                  header: 'Level',
                  class: 'nowrap',
                  cell: (i) =>
                    i.status === 'open' && i.level ? `level ${i.level}${i.round && i.round > 1 ? `, round ${i.round}` : ''}` : '—',
                },
                { header: 'Owner', class: 'nowrap', cell: (i) => i.ownerId ?? '—' },
                {
                  header: 'Raised',
                  class: 'nowrap',
                  cell: (i) => (
                    <>
                      {when(i.raisedAt)}
                      {i.status !== 'resolved' ? <small class="age"> {duration(now - Date.parse(i.raisedAt), locale)} ago</small> : null}
                    </>
                  ),
                },
              ]}
            />
          </div>
        </>
      )}
    </main>
  );
}

const kindLabel: Record<string, string> = {
  raised: 'raised',
  queued: 'queued',
  notified: 'queued',
  'no-address': 'no address',
  'rota-missing': 'rota missing',
  delivered: 'delivered',
  'delivery-overdue': 'delivery overdue',
  'delivery-failed': 'delivery failed',
  'send-stopped': 'not sent',
  escalated: 'escalated',
  'leadership-told': 'leadership told',
  'ladder-exhausted': 'ladder exhausted',
  acknowledged: 'acknowledged',
  'resolution-overdue': 'resolution overdue',
  repeated: 'raised again',
  resolved: 'resolved',
};

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const times = (n: number) => (n === 1 ? 'once' : `${n} times`);
const leadershipHow: Record<string, string> = {
  'at-once': 'at once, for this severity',
  'topped-out': 'the top of the ladder was reached unacknowledged',
};

/** One timeline entry in words: who was told, at which level, what happened next. */
function describe(e: IncidentEvent): ComponentChildren {
  const d = e.detail ?? {};
  const who = e.personId ?? 'someone';
  switch (e.kind) {
    case 'raised':
      return `Raised by ${str(d.by) || who}.`;
    case 'queued':
    case 'notified':
      return `An e-mail to ${who}${d.audience === 'leadership' ? ' (leadership)' : ''} is queued: "delivered" follows when the mail server accepts it.`;
    case 'no-address':
      return `${who} has no e-mail address: not told.`;
    case 'rota-missing':
      return `No on-call rota "${str(d.rota)}" at this level: nobody on call was found to tell.`;
    case 'delivered':
      return `The mail server accepted the e-mail to ${who}.`;
    case 'delivery-overdue':
      return `The e-mail to ${who} was not confirmed delivered in time.`;
    case 'send-stopped':
      return `The e-mail to ${who} was still queued when the incident was ${str(d.reason) || 'closed'}: no more tries.`;
    case 'delivery-failed':
      return `The e-mail to ${who} could not be delivered (${str(d.reason) || 'unknown reason'}).`;
    case 'escalated':
      return `Nobody acknowledged in time: escalated to level ${e.level ?? '?'}${e.round && e.round > 1 ? `, round ${e.round}` : ''} (${str(d.recipients) || 0} people).`;
    case 'leadership-told':
      return `Leadership told: ${leadershipHow[str(d.how)] ?? str(d.how)} (${str(d.recipients) || 0} people).`;
    case 'ladder-exhausted':
      return `Every level was tried and nobody acknowledged (round ${e.round ?? '?'}).`;
    case 'acknowledged':
      return `${who} acknowledged and owns the incident; the ladder stopped.`;
    case 'resolution-overdue':
      return `${who} did not resolve it in time: ownership lapsed, the incident is open and escalates again.`;
    case 'repeated': {
      const counts = Object.entries(d)
        .filter(([k]) => k !== 'repeats')
        .map(([k, v]) => `${k} ${str(v)}`);
      return `The same condition was raised again (${times(Number(d.repeats) || 1)} so far${counts.length ? `; now ${counts.join(', ')}` : ''}); nobody e-mailed again.`;
    }
    case 'resolved':
      return `Resolved by ${who}: ${str(d.code)}.`;
    default:
      return e.kind;
  }
}

function Timeline({ incident }: { incident: IncidentDetail }) {
  const { locale } = useWords();
  return (
    <section aria-labelledby="inc-timeline-h">
      <h2 id="inc-timeline-h">Timeline</h2>
      <div class="table-scroll">
        <Table
          class="compact incident-timeline"
          testid="incident-timeline"
          rows={incident.timeline}
          rowKey={(_, n) => n}
          rowProps={(e) => ({ class: `ev-${e.kind}`, 'data-kind': e.kind })}
          columns={[
            { header: 'Time', class: 'nowrap', cell: (e) => when(e.at) },
            { header: 'After raise', class: 'nowrap', cell: (e) => after(incident.raisedAt, e.at, locale) },
            { header: 'Event', rowHeader: true, cell: (e) => <Badge state={`ev-${e.kind}`} label={kindLabel[e.kind] ?? e.kind} /> },
            {
              header: 'Level',
              class: 'nowrap',
              cell: (e) =>
                e.level
                  ? `${e.level}${e.round && e.round > 1 ? ` (round ${e.round})` : ''}`
                  : e.detail?.audience === 'leadership' || e.kind === 'leadership-told'
                    ? 'leadership'
                    : '—',
            },
            { header: 'Person', class: 'nowrap', cell: (e) => e.personId ?? '—' },
            { header: 'What happened', cell: (e) => describe(e) },
          ]}
        />
      </div>
    </section>
  );
}

const ladderKinds = new Set(['escalated', 'ladder-exhausted', 'acknowledged', 'resolution-overdue']);

function StatusLine({ incident: i }: { incident: IncidentDetail }) {
  const lastStep = i.timeline.filter((e) => ladderKinds.has(e.kind)).pop();
  const text =
    i.status === 'open' && lastStep?.kind === 'ladder-exhausted'
      ? `Nobody owns it yet: every level of the ladder and leadership were told, and nobody acknowledged.`
      : i.status === 'open'
        ? `Nobody owns it yet: the ladder is at level ${i.level ?? '?'}${i.round && i.round > 1 ? `, round ${i.round}` : ''} and climbs until someone acknowledges.`
        : i.status === 'acknowledged'
          ? `${i.ownerId ?? 'Someone'} owns it since ${when(i.acknowledgedAt)}; the ladder has stopped.`
          : `Resolved by ${i.resolvedBy ?? '?'} at ${when(i.resolvedAt)}: ${i.resolutionCode ?? 'no code'}.`;
  return (
    <p class={`incident-status s-${i.status}`} data-testid="incident-status" data-status={i.status} role="status">
      <Badge state={i.status} /> {text}
    </p>
  );
}

function Facts({ incident: i }: { incident: IncidentDetail }) {
  const rows: [string, ComponentChildren][] = [
    ['Incident', <code>{i.incidentId}</code>],
    ['Program', <Link href={`/programs/${i.programId}`}>{i.programId}</Link>],
    ['Departments', departmentsText(i.departments)],
    ['Severity', <Badge state={i.severity} label={i.severity.toUpperCase()} />],
    ['What happened', whatHappened(i.condition, i.counts)],
    ['Raised', `${when(i.raisedAt)} by ${i.raisedBy}`],
    ['Raised again', i.repeats ? `${times(i.repeats)} (nobody e-mailed again)` : 'no'],
    ['Escalation level', i.level ? `${i.level}${i.round ? `, round ${i.round}` : ''}` : '—'],
    ['Owner', i.ownerId ? `${i.ownerId} since ${when(i.acknowledgedAt)}` : 'nobody'],
  ];
  if (i.status === 'resolved') rows.push(['Resolved', `${when(i.resolvedAt)} by ${i.resolvedBy ?? '?'}: ${i.resolutionCode ?? '—'}`]);
  if (i.resolutionNote) rows.push(['Resolution note', <span class="note-text">{i.resolutionNote.text}</span>]);
  return (
    <section aria-labelledby="facts-h">
      <h2 id="facts-h">Facts</h2>
      <FactsTable rows={rows} />
    </section>
  );
}

function Actions({ incident: i, onDone }: { incident: IncidentDetail; onDone: () => void }) {
  const canRespond = useCan('oncall', 'lead', 'admin');
  if (!canRespond || i.status === 'resolved') return null;
  const base = `/v1/incidents/${i.incidentId}`;
  return (
    <section aria-labelledby="inc-actions-h" class="actions">
      <h2 id="inc-actions-h">Actions</h2>
      <div class="action-row">
        {i.status === 'open' ? (
          <ConfirmAction
            testId="incident-ack"
            label="Acknowledge"
            title="Acknowledge this incident?"
            effect={
              <p>
                <strong>You become the owner and the escalation stops:</strong> nobody further up the ladder is e-mailed, and everyone told
                so far is e-mailed that you own it. Resolve it when it is fixed; left unresolved too long, it opens again and escalates.
              </p>
            }
            confirmLabel="Acknowledge: I own it"
            run={(_v, key) => post(`${base}/acknowledge`, {}, key)}
            onDone={onDone}
          />
        ) : null}
        <ConfirmAction
          testId="incident-resolve"
          label="Resolve"
          title="Resolve this incident?"
          effect={
            <p>
              The incident closes: its escalation stops for good and its acknowledge links stop working. The code and the note stay with it.{' '}
              <strong>No patient data in the note.</strong>
            </p>
          }
          fields={[
            { name: 'code', label: 'Resolution', kind: 'select', required: true, options: resolutionCodes, initial: 'fixed' },
            { name: 'note', label: 'Note: what was done (up to 500 characters)', kind: 'textarea', required: true },
          ]}
          confirmLabel="Resolve now"
          run={(v, key) => post(`${base}/resolve`, { code: v.code, note: v.note }, key)}
          onDone={onDone}
        />
      </div>
    </section>
  );
}

/** One incident: the facts, who was told when, and (for the on-call) acknowledge and resolve. Polled, so a page left open follows the escalation. */
export function IncidentPage({ incidentId }: { incidentId: string }) {
  const { data: incident, error, refresh } = usePoll<IncidentDetail>(`/v1/incidents/${encodeURIComponent(incidentId)}`, 3000);
  return (
    <main class="container">
      <p>
        <Link href="/incidents">← All incidents</Link>
      </p>
      {!incident ? (
        error ? (
          <ErrorNote error={error} />
        ) : (
          <p aria-busy="true">Loading incident…</p>
        )
      ) : (
        <>
          <hgroup>
            <h1>
              <Badge state={incident.severity} label={incident.severity.toUpperCase()} />{' '}
              {whatHappened(incident.condition, incident.counts)}
            </h1>
            <p>
              {incident.programId} · {departmentsText(incident.departments)} · raised {when(incident.raisedAt)}
              {error ? <span class="stale"> · connection lost, showing the last answer</span> : null}
            </p>
          </hgroup>
          <StatusLine incident={incident} />
          <Actions incident={incident} onDone={refresh} />
          <Facts incident={incident} />
          <Timeline incident={incident} />
        </>
      )}
    </main>
  );
}
