import type { ComponentChildren } from 'preact';
import { Badge, when } from '../components/Badge';
import { duration } from '../components/format';
import { EmergencyActions } from '../components/LeadActions';
import { FactsTable, Table } from '../components/Table';
import { ProgramFrame, useProgram, type EmergencyView, type ProgramStatus } from '../program';
import { useCan } from '../session';
import { useWords } from '../i18n';

export function EmergencyPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="emergency">
      <Emergency />
    </ProgramFrame>
  );
}

const statusLabel: Record<EmergencyView['status'], string> = {
  open: 'open: on paper',
  restored: 'restored: back-entry under way',
  closed: 'closed',
};

/** The workflow's timeline events (workflows/program.ts), in words. */
function eventText(event: string): string {
  const backlog = /^backlog (\d+)$/.exec(event);
  if (backlog) return `backlog reported: ${backlog[1]} paper records to enter`;
  const closed = /^closed \((\w+) reconciliation\)$/.exec(event);
  if (closed)
    return `emergency closed (${closed[1] === 'manual' ? 'reconciliation confirmed by hand' : 'reconciled by a clean comparison'})`;
  const words: Record<string, string> = {
    declared: 'emergency declared',
    'go-live-paused': 'go-live paused',
    'downtime-entered': 'on downtime procedures (paper)',
    'downtime-failed': 'downtime procedures could not be started',
    notified: 'leadership, on-call and emergency contacts told',
    'restore-failed': 'could not be taken off downtime',
    restored: 'systems restored: back to the systems, back-entry starts',
    'backlog-cleared': 'every backlog at 0',
  };
  return words[event] ?? event;
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
  const { locale } = useWords();
  const end = e.closedAt ? Date.parse(e.closedAt) : Date.now();
  const rows: [string, ComponentChildren][] = [
    ['Reason', <span class="note-text">{e.reason}</span>],
    ['Declared', `${when(e.declaredAt)} by ${e.declaredBy}`],
    ['On paper', e.departments.length ? e.departments.join(', ') : 'the whole hospital'],
    [e.closedAt ? 'Lasted' : 'Going on for', duration(end - Date.parse(e.declaredAt), locale)],
    [
      'Systems restored',
      e.restoredAt ? `${when(e.restoredAt)} (after ${duration(Date.parse(e.restoredAt) - Date.parse(e.declaredAt), locale)})` : 'not yet',
    ],
    ['Backlog cleared', e.backlogClearedAt ? when(e.backlogClearedAt) : 'not yet'],
    ['Closed', e.closedAt ? when(e.closedAt) : 'not yet'],
  ];
  return <FactsTable rows={rows} testid="emergency-facts" />;
}

function Departments({ e, status }: { e: EmergencyView; status: ProgramStatus }) {
  const canDownload = useCan('lead', 'oncall', 'admin');
  const paused = new Set(e.pausedGoLives);
  const codes = departmentsOf(e, status);
  const totalBacklog = Object.values(e.backlog).reduce((a, b) => a + b, 0);
  return (
    <section aria-labelledby="em-depts-h">
      <h2 id="em-depts-h">Departments</h2>
      <p>
        <small>
          Paper records awaiting back-entry: <strong>{totalBacklog}</strong> in all ({Object.keys(e.backlog).length} of {codes.length}{' '}
          departments reported). The emergency closes only when every backlog is 0.
          {canDownload ? ' Downtime packets hold patient data: every download is recorded in the audit trail.' : ''}
        </small>
      </p>
      <div class="table-scroll">
        <Table
          class="compact"
          testid="emergency-departments"
          rows={codes}
          rowKey={(code) => code}
          columns={[
            { header: 'Department', rowHeader: true, cell: (code) => code },
            {
              header: 'Backlog',
              cell: (code) => {
                const backlog = e.backlog[code];
                return backlog === undefined ? (
                  <span class="muted">not reported</span>
                ) : backlog === 0 ? (
                  <Badge state="resolved" label="0: done" />
                ) : (
                  <strong>{backlog}</strong>
                );
              },
            },
            {
              header: 'Downtime packet',
              cell: (code) => {
                const packet = e.packets[code];
                return !packet ? (
                  <span class="muted">none</span>
                ) : 'error' in packet ? (
                  <span class="why">could not be made: {packet.error}</span>
                ) : (
                  `census ${packet.census} · active orders ${packet.activeOrders} · pending results ${packet.pendingResults}`
                );
              },
            },
            canDownload && {
              header: 'Download',
              cell: (code) => {
                const packet = e.packets[code];
                return packet && !('error' in packet) ? (
                  <a
                    href={`/v1/programs/${encodeURIComponent(status.programId)}/emergencies/${e.emergency}/packets/${encodeURIComponent(code)}`}
                    download
                    aria-label={`Download ${code}'s downtime packet`}
                    data-testid={`packet-${code}`}
                  >
                    Download
                  </a>
                ) : (
                  '—'
                );
              },
            },
            { header: 'Go-live', cell: (code) => (paused.has(code) ? <Badge state="paused" label="paused" /> : '—') },
          ]}
        />
      </div>
      {e.pausedGoLives.length ? (
        <p data-testid="emergency-paused">
          Go-lives paused by the emergency: <strong>{e.pausedGoLives.join(', ')}</strong>.{' '}
          {e.status === 'closed'
            ? 'Each waits for the cutover lead to resume it or roll it back.'
            : 'They stay paused after the emergency closes, until the lead resumes or rolls back each.'}
        </p>
      ) : (
        <p>No go-live was running when the emergency was declared.</p>
      )}
    </section>
  );
}

function Timeline({ e }: { e: EmergencyView }) {
  const { locale } = useWords();
  return (
    <section aria-labelledby="em-timeline-h">
      <h2 id="em-timeline-h">Timeline</h2>
      <div class="table-scroll">
        <Table
          class="compact"
          testid="emergency-timeline"
          rows={e.timeline}
          rowKey={(_, n) => n}
          columns={[
            { header: 'Time', cell: (t) => when(t.at) },
            { header: 'Since declared', cell: (t) => `+${duration(t.sinceDeclaredMs, locale)}` },
            { header: 'Event', rowHeader: true, cell: (t) => <Badge state={`em-${eventState(t.event)}`} label={eventText(t.event)} /> },
            { header: 'Department', cell: (t) => t.department ?? '—' },
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
  const e = status.emergency;
  const possible = status.allowedActions.some((a) => emergencyActions.includes(a) || a.startsWith('resume-department'));
  const actions = isResponder ? (
    <section aria-labelledby="em-actions-h" class="actions">
      <h2 id="em-actions-h">Actions</h2>
      <div class="action-row">
        <EmergencyActions status={status} onDone={refresh} />
      </div>
      {possible ? null : <p>No emergency action is possible in the program's present state.</p>}
    </section>
  ) : null;
  if (!e) {
    return (
      <>
        <h2>Emergency</h2>
        <p data-testid="emergency-none">No emergency has been declared for this program.</p>
        {actions}
      </>
    );
  }
  return (
    <>
      <h2 class="emergency-title">
        Emergency #{e.emergency}{' '}
        <span data-testid="emergency-status" data-status={e.status}>
          <Badge
            state={e.status === 'open' ? 'critical' : e.status === 'restored' ? 'restored' : 'resolved'}
            label={statusLabel[e.status]}
          />
        </span>
        {e.status === 'closed' ? <small> — the last one; none is open now</small> : null}
      </h2>
      <Facts e={e} />
      {actions}
      <Departments e={e} status={status} />
      <Timeline e={e} />
    </>
  );
}
