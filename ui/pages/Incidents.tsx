import type { ComponentChildren } from 'preact';
import { Link, useSearchParams } from 'wouter-preact';
import { catalogs } from '../../domain/i18n';
import { post } from '../api';
import { Badge } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { FactsTable, Table } from '../components/Table';
import { nameOf, resolutionCodes, whatHappened, type IncidentDetail, type IncidentEvent, type IncidentRow } from '../components/incident';
import { domainLabel } from '../components/nights';
import { useWords, type MessageKey, type PageWords } from '../i18n';
import { usePoll } from '../poll';
import { useCan } from '../session';

const statuses = ['open', 'acknowledged', 'resolved'] as const;
const listLimit = 200;

/** The incident's status as a badge, in the e-mails' words (open: nobody owns it yet). */
function StatusBadge({ status }: { status: IncidentRow['status'] }) {
  const { t } = useWords();
  return <Badge state={status} label={t(`incident.state.${status}`)} />;
}

/** Every incident, newest first, filtered by status and program; the filters live in the address so a filtered list can be shared. */
export function IncidentsPage() {
  const w = useWords();
  const { t, when, locale } = w;
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
  const statusWord = (s: string) => ((statuses as readonly string[]).includes(s) ? t(`incident.state.${s as IncidentRow['status']}`) : s);
  const counts = w.list(
    (status ? [status] : statuses).map((s) =>
      t('ui.incidents.count', { n: rows.filter((r) => r.status === s).length, status: statusWord(s) }),
    ),
  );
  const now = Date.now();
  return (
    <main class="container">
      <h1>{t('ui.incidents.title')}</h1>
      <form class="grid filters" role="search" aria-label={t('ui.incidents.filter')} onSubmit={(e) => e.preventDefault()}>
        <label for="f-status">
          {t('ui.incidents.status')}
          <select id="f-status" value={status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
            <option value="">{t('ui.incidents.anyStatus')}</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {statusWord(s)}
              </option>
            ))}
          </select>
        </label>
        <label for="f-program">
          {t('ui.incidents.program')}
          <select id="f-program" value={programId} onChange={(e) => setFilter('programId', e.currentTarget.value)}>
            <option value="">{t('ui.incidents.everyProgram')}</option>
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
      {data && error ? <p class="stale">{t('ui.incidents.stale')}</p> : <ErrorNote error={error} />}
      {!data ? (
        !error && <p aria-busy="true">{t('ui.common.loading')}</p>
      ) : rows.length === 0 ? (
        <p data-testid="incident-list-empty">
          {t('ui.incidents.none', { status: status ? statusWord(status) : 'any', program: programId || 'any' })}
        </p>
      ) : (
        <>
          <p>
            <small>
              {rows.length >= listLimit ? `${t('ui.incidents.newest', { n: listLimit })} ` : ''}
              {counts}
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
                { header: t('ui.incidents.col.severity'), cell: (i) => <Badge state={i.severity} /> },
                {
                  header: t('ui.incidents.col.what'),
                  rowHeader: true,
                  cell: (i) => (
                    <>
                      <Link href={`/incidents/${i.incidentId}`}>{whatHappened(i.condition, i.counts, locale)}</Link>
                      {i.domains.length ? <small> · {t('ui.incidents.domains', { domains: domainsText(w, i) })}</small> : null}
                      {i.repeats ? <small> · {t('ui.incidents.raisedAgain', { n: i.repeats })}</small> : null}
                    </>
                  ),
                },
                { header: t('ui.incidents.col.program'), class: 'nowrap', cell: (i) => i.programId },
                { header: t('ui.incidents.col.departments'), cell: (i) => departmentsText(w, i.departments) },
                { header: t('ui.incidents.col.status'), cell: (i) => <StatusBadge status={i.status} /> },
                {
                  header: t('ui.incidents.col.level'),
                  class: 'nowrap',
                  cell: (i) =>
                    i.status === 'open' && i.level ? t('ui.incidents.levelRound', { level: i.level, round: i.round ?? 0 }) : '—',
                },
                { header: t('ui.incidents.col.owner'), class: 'nowrap', cell: (i) => nameOf(i, i.ownerId) },
                {
                  header: t('ui.incidents.col.raised'),
                  class: 'nowrap',
                  cell: (i) => (
                    <>
                      {when(i.raisedAt)}
                      {i.status !== 'resolved' ? (
                        <small class="age"> {t('ui.incidents.ago', { duration: w.duration(now - Date.parse(i.raisedAt)) })}</small>
                      ) : null}
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

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
/** An ICU selector has no hyphen: `topped-out` selects as `toppedOut`. */
const selector = (code: string) => code.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
const kindKey = (kind: string) => `ui.incident.kind.${kind}` as MessageKey;

/** One timeline entry in words: who was told, at which level, what happened next. */
function describe(w: PageWords, e: IncidentEvent, names: Record<string, string>): ComponentChildren {
  const { t } = w;
  const d = e.detail ?? {};
  const who = e.personId ? (names[e.personId] ?? e.personId) : t('ui.incident.someone');
  const people = Number(d.recipients) || 0;
  switch (e.kind) {
    case 'raised':
      return t('ui.incident.did.raised', { who: str(d.by) ? (names[str(d.by)] ?? str(d.by)) : who });
    case 'queued':
    case 'notified':
      return t('ui.incident.did.queued', { who, leadership: d.audience === 'leadership' ? 'yes' : 'no' });
    case 'no-address':
    case 'delivered':
    case 'delivery-overdue':
    case 'acknowledged':
    case 'resolution-overdue':
      return t(`ui.incident.did.${e.kind}`, { who });
    case 'rota-missing':
      return t('ui.incident.did.rota-missing', { rota: str(d.rota) });
    case 'send-stopped':
    case 'delivery-failed':
      return t(`ui.incident.did.${e.kind}`, { who, reason: str(d.reason) || t('ui.incident.unknownReason') });
    case 'escalated':
      return t('ui.incident.did.escalated', { level: e.level ?? '?', round: e.round ?? 0, people });
    case 'leadership-told':
      return t('ui.incident.did.leadership-told', { how: selector(str(d.how)), people });
    case 'ladder-exhausted':
      return t('ui.incident.did.ladder-exhausted', { round: e.round ?? '?' });
    case 'repeated': {
      const counts = Object.entries(d)
        .filter(([k]) => k !== 'repeats')
        .map(([k, v]) => `${k} ${str(v)}`);
      const n = Number(d.repeats) || 1;
      return counts.length ? t('ui.incident.did.repeatedNow', { n, counts: w.list(counts) }) : t('ui.incident.did.repeated', { n });
    }
    case 'resolved':
      return t('ui.incident.did.resolved', { who, code: resolutionWord(w, str(d.code)) });
    default:
      return kindKey(e.kind) in catalogs.en ? t(kindKey(e.kind)) : e.kind;
  }
}

/** A resolution code in words; one this build does not know stays a code. */
function resolutionWord(w: PageWords, code: string | null | undefined): string {
  const key = `resolutionCode.${code ?? ''}` as MessageKey;
  return code && key in catalogs.en ? w.t(key) : (code ?? '—');
}

/** The incident's comparison domains in the plan's words (its title, else the name). */
const domainsText = (w: PageWords, i: IncidentRow) => w.list(i.domains.map((d) => i.domainTitles[d] ?? domainLabel(d)));

const departmentsText = (w: PageWords, d: string[]) => (d.length ? w.list(d) : w.t('ui.common.hospitalWide'));

function Timeline({ incident }: { incident: IncidentDetail }) {
  const w = useWords();
  const { t, when } = w;
  return (
    <section aria-labelledby="inc-timeline-h">
      <h2 id="inc-timeline-h">{t('ui.incident.timeline')}</h2>
      <div class="table-scroll">
        <Table
          class="compact incident-timeline"
          testid="incident-timeline"
          rows={incident.timeline}
          rowKey={(_, n) => n}
          rowProps={(e) => ({ class: `ev-${e.kind}`, 'data-kind': e.kind })}
          columns={[
            { header: t('ui.incident.col.time'), class: 'nowrap', cell: (e) => when(e.at) },
            { header: t('ui.incident.col.after'), class: 'nowrap', cell: (e) => w.after(incident.raisedAt, e.at) },
            {
              header: t('ui.incident.col.event'),
              rowHeader: true,
              cell: (e) => <Badge state={`ev-${e.kind}`} label={kindKey(e.kind) in catalogs.en ? t(kindKey(e.kind)) : e.kind} />,
            },
            {
              header: t('ui.incident.col.level'),
              class: 'nowrap',
              cell: (e) =>
                e.level
                  ? t('ui.incident.levelRound', { level: e.level, round: e.round ?? 0 })
                  : e.detail?.audience === 'leadership' || e.kind === 'leadership-told'
                    ? t('ui.incident.leadership')
                    : '—',
            },
            { header: t('ui.incident.col.person'), class: 'nowrap', cell: (e) => nameOf(incident, e.personId) },
            { header: t('ui.incident.col.what'), cell: (e) => describe(w, e, incident.names) },
          ]}
        />
      </div>
    </section>
  );
}

const ladderKinds = new Set(['escalated', 'ladder-exhausted', 'acknowledged', 'resolution-overdue']);

function StatusLine({ incident: i }: { incident: IncidentDetail }) {
  const w = useWords();
  const { t, when } = w;
  const lastStep = i.timeline.filter((e) => ladderKinds.has(e.kind)).pop();
  const text =
    i.status === 'open' && lastStep?.kind === 'ladder-exhausted'
      ? t('ui.incident.status.exhausted')
      : i.status === 'open'
        ? t('ui.incident.status.open', { level: i.level ?? '?', round: i.round ?? 0 })
        : i.status === 'acknowledged'
          ? t('ui.incident.status.acknowledged', {
              owner: i.ownerId ? nameOf(i, i.ownerId) : t('ui.incident.someone'),
              time: when(i.acknowledgedAt),
            })
          : t('ui.incident.status.resolved', {
              who: i.resolvedBy ? nameOf(i, i.resolvedBy) : '?',
              time: when(i.resolvedAt),
              code: resolutionWord(w, i.resolutionCode),
            });
  return (
    <p class={`incident-status s-${i.status}`} data-testid="incident-status" data-status={i.status} role="status">
      <StatusBadge status={i.status} /> {text}
    </p>
  );
}

function Facts({ incident: i }: { incident: IncidentDetail }) {
  const w = useWords();
  const { t, when, locale } = w;
  const rows: [string, ComponentChildren][] = [
    [t('ui.incident.fact.incident'), <code>{i.incidentId}</code>],
    [t('ui.incident.fact.program'), <Link href={`/programs/${i.programId}`}>{i.programId}</Link>],
    [t('ui.incident.fact.departments'), departmentsText(w, i.departments)],
    ...(i.domains.length ? [[t('ui.incident.fact.domains'), domainsText(w, i)] as [string, ComponentChildren]] : []),
    [t('ui.incident.fact.severity'), <Badge state={i.severity} />],
    [t('ui.incident.fact.what'), whatHappened(i.condition, i.counts, locale)],
    [t('ui.incident.fact.raised'), t('ui.incident.fact.raisedBy', { time: when(i.raisedAt), who: nameOf(i, i.raisedBy) })],
    [t('ui.incident.fact.raisedAgain'), t('ui.incident.fact.raisedAgainValue', { n: i.repeats })],
    [t('ui.incident.fact.level'), i.level ? t('ui.incidents.levelRound', { level: i.level, round: i.round ?? 0 }) : '—'],
    [
      t('ui.incident.fact.owner'),
      i.ownerId
        ? t('ui.incident.fact.ownerSince', { owner: nameOf(i, i.ownerId), time: when(i.acknowledgedAt) })
        : t('ui.incident.fact.nobody'),
    ],
  ];
  if (i.status === 'resolved')
    rows.push([
      t('ui.incident.fact.resolved'),
      t('ui.incident.fact.resolvedValue', {
        time: when(i.resolvedAt),
        who: i.resolvedBy ? nameOf(i, i.resolvedBy) : '?',
        code: resolutionWord(w, i.resolutionCode),
      }),
    ]);
  if (i.resolutionNote) rows.push([t('ui.incident.fact.note'), <span class="note-text">{i.resolutionNote.text}</span>]);
  return (
    <section aria-labelledby="facts-h">
      <h2 id="facts-h">{t('ui.incident.facts')}</h2>
      <FactsTable rows={rows} />
    </section>
  );
}

function Actions({ incident: i, onDone }: { incident: IncidentDetail; onDone: () => void }) {
  const canRespond = useCan('oncall', 'lead', 'admin');
  const { t } = useWords();
  if (!canRespond || i.status === 'resolved') return null;
  const base = `/v1/incidents/${i.incidentId}`;
  return (
    <section aria-labelledby="inc-actions-h" class="actions">
      <h2 id="inc-actions-h">{t('ui.incident.actions')}</h2>
      <div class="action-row">
        {i.status === 'open' ? (
          <ConfirmAction
            testId="incident-ack"
            label={t('ui.incident.ack')}
            title={t('ui.incident.ackQ')}
            effect={
              <p>
                <strong>{t('ui.incident.ackEffect')}</strong>
              </p>
            }
            confirmLabel={t('ui.incident.ackConfirm')}
            run={(_v, key) => post(`${base}/acknowledge`, {}, key)}
            onDone={onDone}
          />
        ) : null}
        <ConfirmAction
          testId="incident-resolve"
          label={t('ui.incident.resolve')}
          title={t('ui.incident.resolveQ')}
          effect={
            <p>
              {t('ui.incident.resolveEffect')} <strong>{t('ui.incident.noPatientData')}</strong>
            </p>
          }
          fields={[
            {
              name: 'code',
              label: t('ui.incident.resolution'),
              kind: 'select',
              required: true,
              options: resolutionCodes.map((code) => ({ value: code, label: t(`resolutionCode.${code}`) })),
              initial: 'fixed',
            },
            { name: 'note', label: t('ui.incident.note'), kind: 'textarea', required: true },
          ]}
          confirmLabel={t('ui.incident.resolveNow')}
          run={(v, key) => post(`${base}/resolve`, { code: v.code, note: v.note }, key)}
          onDone={onDone}
        />
      </div>
    </section>
  );
}

/** One incident: the facts, who was told when, and (for the on-call) acknowledge and resolve. Polled, so a page left open follows the escalation. */
export function IncidentPage({ incidentId }: { incidentId: string }) {
  const w = useWords();
  const { t, when, locale } = w;
  const { data: incident, error, refresh } = usePoll<IncidentDetail>(`/v1/incidents/${encodeURIComponent(incidentId)}`, 3000);
  return (
    <main class="container">
      <p>
        <Link href="/incidents">{t('ui.incident.all')}</Link>
      </p>
      {!incident ? (
        error ? (
          <ErrorNote error={error} />
        ) : (
          <p aria-busy="true">{t('ui.incident.loading')}</p>
        )
      ) : (
        <>
          <hgroup>
            <h1>
              <Badge state={incident.severity} /> {whatHappened(incident.condition, incident.counts, locale)}
            </h1>
            <p>
              {t('ui.incident.head', {
                program: incident.programId,
                departments: departmentsText(w, incident.departments),
                time: when(incident.raisedAt),
              })}
              {error ? <span class="stale"> · {t('ui.incident.stale')}</span> : null}
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
