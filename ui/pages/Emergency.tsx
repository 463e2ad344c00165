import type { ComponentChildren } from 'preact';
import { catalogs } from '../../domain/i18n';
import { Badge } from '../components/Badge';
import { EmergencyActions } from '../components/LeadActions';
import { FactsTable, Table } from '../components/Table';
import { ProgramFrame, useProgram, type EmergencyView, type ProgramStatus } from '../program';
import { useNames } from '../people';
import { useCan } from '../session';
import { useWords, type MessageKey, type PageWords } from '../i18n';

export function EmergencyPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="emergency">
      <Emergency />
    </ProgramFrame>
  );
}

/** The workflow's timeline events (workflows/program.ts), in words. */
function eventText(w: PageWords, event: string): string {
  const backlog = /^backlog (\d+)$/.exec(event);
  if (backlog) return w.t('ui.emergency.event.backlog', { n: Number(backlog[1]) });
  const closed = /^closed \((\w+) reconciliation\)$/.exec(event);
  if (closed) return w.t('ui.emergency.event.closed', { how: closed[1]! });
  const key = `ui.emergency.event.${event}` as MessageKey;
  return key in catalogs.en ? w.t(key) : event;
}

function eventState(event: string): string {
  if (event.endsWith('-failed')) return 'failed';
  if (event === 'declared') return 'critical';
  if (event === 'restored' || event === 'backlog-cleared' || event.startsWith('closed')) return 'resolved';
  return 'info';
}

/** The departments the emergency concerns: named ones, else every department with a packet, a backlog or a paused go-live, else all. */
function departmentsOf(e: EmergencyView, status: ProgramStatus): string[] {
  const named = new Set([...e.departments, ...Object.keys(e.packets), ...Object.keys(e.backlog), ...e.pausedGoLives]);
  const order = status.departments.map((d) => d.code);
  const list = named.size ? [...named] : order;
  return list.sort((a, b) => (order.indexOf(a) === -1 ? 1e9 : order.indexOf(a)) - (order.indexOf(b) === -1 ? 1e9 : order.indexOf(b)));
}

function Facts({ e }: { e: EmergencyView }) {
  const { t, when, list, duration } = useWords();
  const name = useNames([e.declaredBy]);
  const end = e.closedAt ? Date.parse(e.closedAt) : Date.now();
  const rows: [string, ComponentChildren][] = [
    [t('ui.emergency.fact.reason'), <span class="note-text">{e.reason}</span>],
    [
      t('ui.emergency.fact.declared'),
      <span title={e.declaredBy}>{t('ui.emergency.fact.declaredBy', { time: when(e.declaredAt), who: name(e.declaredBy) })}</span>,
    ],
    [t('ui.emergency.fact.onPaper'), e.departments.length ? list(e.departments) : t('ui.emergency.fact.wholeHospital')],
    [t(e.closedAt ? 'ui.emergency.fact.lasted' : 'ui.emergency.fact.goingOn'), duration(end - Date.parse(e.declaredAt))],
    [
      t('ui.emergency.fact.restored'),
      e.restoredAt
        ? t('ui.emergency.fact.restoredAfter', {
            time: when(e.restoredAt),
            duration: duration(Date.parse(e.restoredAt) - Date.parse(e.declaredAt)),
          })
        : t('ui.emergency.notYet'),
    ],
    [t('ui.emergency.fact.backlogCleared'), e.backlogClearedAt ? when(e.backlogClearedAt) : t('ui.emergency.notYet')],
    [t('ui.emergency.fact.closed'), e.closedAt ? when(e.closedAt) : t('ui.emergency.notYet')],
  ];
  return <FactsTable rows={rows} testid="emergency-facts" />;
}

function Departments({ e, status }: { e: EmergencyView; status: ProgramStatus }) {
  const canDownload = useCan('lead', 'oncall', 'admin');
  const { t, list } = useWords();
  const paused = new Set(e.pausedGoLives);
  const codes = departmentsOf(e, status);
  const totalBacklog = Object.values(e.backlog).reduce((a, b) => a + b, 0);
  return (
    <section aria-labelledby="em-depts-h">
      <h2 id="em-depts-h">{t('ui.emergency.departments')}</h2>
      <p>
        <small>
          {t('ui.emergency.backlogSummary', { total: totalBacklog, reported: Object.keys(e.backlog).length, departments: codes.length })}
          {canDownload ? ` ${t('ui.emergency.packetsAudited')}` : ''}
        </small>
      </p>
      <div class="table-scroll">
        <Table
          class="compact"
          testid="emergency-departments"
          rows={codes}
          rowKey={(code) => code}
          columns={[
            { header: t('ui.emergency.col.department'), rowHeader: true, cell: (code) => code },
            {
              header: t('ui.emergency.col.backlog'),
              cell: (code) => {
                const backlog = e.backlog[code];
                return backlog === undefined ? (
                  <span class="muted">{t('ui.emergency.notReported')}</span>
                ) : backlog === 0 ? (
                  <Badge state="resolved" label={t('ui.emergency.backlogDone')} />
                ) : (
                  <strong>{backlog}</strong>
                );
              },
            },
            {
              header: t('ui.emergency.col.packet'),
              cell: (code) => {
                const packet = e.packets[code];
                return !packet ? (
                  <span class="muted">{t('ui.common.none')}</span>
                ) : 'error' in packet ? (
                  <span class="why">{t('ui.emergency.packetFailed', { error: packet.error })}</span>
                ) : (
                  t('ui.emergency.packet', { census: packet.census, orders: packet.activeOrders, results: packet.pendingResults })
                );
              },
            },
            canDownload && {
              header: t('ui.emergency.col.download'),
              cell: (code) => {
                const packet = e.packets[code];
                return packet && !('error' in packet) ? (
                  <a
                    href={`/v1/programs/${encodeURIComponent(status.programId)}/emergencies/${e.emergency}/packets/${encodeURIComponent(code)}`}
                    download
                    aria-label={t('ui.emergency.downloadLabel', { code })}
                    data-testid={`packet-${code}`}
                  >
                    {t('ui.emergency.download')}
                  </a>
                ) : (
                  '—'
                );
              },
            },
            { header: t('ui.emergency.col.goLive'), cell: (code) => (paused.has(code) ? <Badge state="paused" /> : '—') },
          ]}
        />
      </div>
      {e.pausedGoLives.length ? (
        <p data-testid="emergency-paused">
          {t('ui.emergency.paused', { departments: list(e.pausedGoLives) })}{' '}
          {t(e.status === 'closed' ? 'ui.emergency.pausedClosed' : 'ui.emergency.pausedOpen')}
        </p>
      ) : (
        <p>{t('ui.emergency.noneRunning')}</p>
      )}
    </section>
  );
}

function Timeline({ e }: { e: EmergencyView }) {
  const w = useWords();
  const { t, when, duration } = w;
  return (
    <section aria-labelledby="em-timeline-h">
      <h2 id="em-timeline-h">{t('ui.emergency.timeline')}</h2>
      <div class="table-scroll">
        <Table
          class="compact"
          testid="emergency-timeline"
          rows={e.timeline}
          rowKey={(_, n) => n}
          columns={[
            { header: t('ui.emergency.col.time'), cell: (row) => when(row.at) },
            { header: t('ui.emergency.col.since'), cell: (row) => t('ui.duration.after', { duration: duration(row.sinceDeclaredMs) }) },
            {
              header: t('ui.emergency.col.event'),
              rowHeader: true,
              cell: (row) => <Badge state={`em-${eventState(row.event)}`} label={eventText(w, row.event)} />,
            },
            { header: t('ui.emergency.col.department'), cell: (row) => row.department ?? '—' },
          ]}
        />
      </div>
    </section>
  );
}

const emergencyActions = ['declare-emergency', 'record-backlog', 'restore-systems', 'close-emergency'];

function Emergency() {
  const { status, refresh } = useProgram();
  const isResponder = useCan('lead', 'oncall', 'admin');
  const { t } = useWords();
  const e = status.emergency;
  const possible = status.allowedActions.some((a) => emergencyActions.includes(a) || a.startsWith('resume-department'));
  const actions = isResponder ? (
    <section aria-labelledby="em-actions-h" class="actions">
      <h2 id="em-actions-h">{t('ui.emergency.actions')}</h2>
      <div class="action-row">
        <EmergencyActions status={status} onDone={refresh} />
      </div>
      {possible ? null : <p>{t('ui.emergency.noAction')}</p>}
    </section>
  ) : null;
  if (!e) {
    return (
      <>
        <h2>{t('ui.emergency.title')}</h2>
        <p data-testid="emergency-none">{t('ui.emergency.none')}</p>
        {actions}
      </>
    );
  }
  return (
    <>
      <h2 class="emergency-title">
        {t('ui.emergency.number', { n: e.emergency })}{' '}
        <span data-testid="emergency-status" data-status={e.status}>
          <Badge
            state={e.status === 'open' ? 'critical' : e.status === 'restored' ? 'restored' : 'resolved'}
            label={t('ui.emergency.status', { status: e.status })}
          />
        </span>
        {e.status === 'closed' ? <small> {t('ui.emergency.last')}</small> : null}
      </h2>
      <Facts e={e} />
      {actions}
      <Departments e={e} status={status} />
      <Timeline e={e} />
    </>
  );
}
