import { useCallback, useEffect, useState } from 'preact/hooks';
import { useSearchParams } from 'wouter-preact';
import type { AuditEntry, AuditProblem } from '../../domain/audit';
import { ApiError, get } from '../api';
import { Badge, when } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { Table } from '../components/Table';
import { useCan } from '../session';

interface AuditPage {
  entries: AuditEntry[];
  nextAfter: number | null;
  nextBefore: number | null;
}
interface Verification {
  ok: boolean;
  count: number;
  brokenAt?: number;
  problem?: AuditProblem;
  breaksTotal?: number;
  anchoredThrough?: number;
  unanchored?: number;
}

const pageSize = 500;
/** Entries kept in the page: the newest; older ones are reached by filtering on an actor or a target. */
const keep = 5000;
const shownStep = 100;

/**
 * The newest entries first (`before=0`), then, every few seconds, only what is new (`after` the
 * newest seen). Older entries are reached by filtering on an actor or a target.
 */
function useAuditTrail(actor: string, target: string) {
  const [entries, setEntries] = useState<AuditEntry[]>();
  const [dropped, setDropped] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let all: AuditEntry[] = [];
    let cursor = 0;
    setEntries(undefined);
    setDropped(false);
    setError(undefined);
    const query = (after: number, newest = false) => {
      const q = new URLSearchParams(newest ? { before: '0', limit: String(pageSize) } : { after: String(after), limit: String(pageSize) });
      if (actor) q.set('actor', actor);
      if (target) q.set('target', target);
      return `/v1/audit?${q.toString()}`;
    };
    const run = async () => {
      try {
        if (!document.hidden && cursor === 0) {
          const page = await get<AuditPage>(query(0, true));
          if (stopped) return;
          all = page.entries.slice().reverse();
          cursor = page.entries[0]?.seq ?? 0;
          setDropped(page.nextBefore !== null);
          setEntries(all);
          setError(undefined);
        } else if (!document.hidden) {
          for (;;) {
            const page = await get<AuditPage>(query(cursor));
            if (stopped) return;
            if (page.entries.length) {
              all = all.concat(page.entries);
              cursor = page.entries[page.entries.length - 1]!.seq;
              if (all.length > keep) {
                all = all.slice(all.length - keep);
                setDropped(true);
              }
            }
            if (page.nextAfter === null) break;
          }
          setEntries(all);
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) setError(err);
        // A refused filter or role stays refused: asking again every few seconds would only fill the log.
        if (err instanceof ApiError && (err.status === 400 || err.status === 403)) return;
      }
      if (!stopped) timer = setTimeout(() => void run(), 5000);
    };
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [actor, target]);
  return { entries, dropped, error };
}

const problemText: Record<NonNullable<Verification['problem']>, string> = {
  missing: 'an entry is missing',
  prev_hash_mismatch: 'an entry does not follow the one before it',
  hash_mismatch: 'an entry was changed after it was written',
  head_mismatch: 'the chain does not end where its head says (entries missing at the end)',
  checkpoint_mismatch: 'history was rewritten and re-chained: a signed checkpoint no longer matches',
  checkpoint_forged: 'a checkpoint does not carry a valid signature',
  checkpoint_missing: 'a signed checkpoint is missing',
};

function ChainStatus() {
  const [v, setV] = useState<Verification>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [checkedAt, setCheckedAt] = useState<string>();
  const verify = useCallback(async () => {
    setBusy(true);
    try {
      setV(await get<Verification>('/v1/audit/verify'));
      setCheckedAt(new Date().toISOString());
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  useEffect(() => {
    void verify();
    // The whole chain is recomputed on the server: once a minute is plenty.
    const t = setInterval(() => void verify(), 60_000);
    return () => clearInterval(t);
  }, [verify]);
  return (
    <section
      class={`audit-chain ${v ? (v.ok ? 'ok' : 'broken') : ''}`}
      data-testid="audit-chain"
      data-ok={v ? String(v.ok) : undefined}
      aria-live="polite"
    >
      {!v ? (
        error ? (
          <ErrorNote error={error} />
        ) : (
          <p aria-busy="true">Verifying the chain…</p>
        )
      ) : v.ok ? (
        <p>
          <Badge state="verified" label="verified" />{' '}
          <strong>Hash chain verified: {v.count} entries intact, in order, none missing.</strong>
        </p>
      ) : (
        <p>
          <Badge state="broken" label="BROKEN" />{' '}
          <strong>
            Hash chain broken at seq {v.brokenAt ?? '?'}: {v.problem ? problemText[v.problem] : 'not intact'}.
          </strong>{' '}
          {v.breaksTotal && v.breaksTotal > 1 ? `${v.breaksTotal} breaks in all. ` : ''}The {v.count} entries before it are intact. Tell the
          administrator and the security officer now.
        </p>
      )}
      <p class="chain-meta">
        <small>
          {checkedAt ? `Checked ${when(checkedAt)}. ` : ''}
          {v?.anchoredThrough !== undefined
            ? `Signed checkpoints vouch for the entries up to seq ${v.anchoredThrough}; ${v.unanchored ?? 0} newer wait for the next one. `
            : ''}
          {v && error ? 'The last check failed; showing the one before. ' : ''}
        </small>
        <button type="button" class="secondary outline small" onClick={() => void verify()} aria-busy={busy} disabled={busy}>
          Verify again
        </button>
      </p>
    </section>
  );
}

/** Requests record their HTTP status; the workflows record an outcome word or number of their own. */
function resultOf(action: string, result: string): { state: string; label: string } {
  const n = Number(result);
  if (!/^(POST|PUT|PATCH|DELETE) \//.test(action) || !/^\d{3}$/.test(result)) return { state: 'res-other', label: result };
  if (n < 400) return { state: 'res-ok', label: `${n} done` };
  if (n < 500) return { state: 'res-refused', label: `${n} refused` };
  return { state: 'res-failed', label: `${n} failed` };
}

/** Every recorded action, newest first, with the hash chain's verification on top. */
export function AuditPage() {
  const allowed = useCan('admin', 'lead', 'leadership');
  const [params, setParams] = useSearchParams();
  const actor = params.get('actor') ?? '';
  const target = params.get('target') ?? '';
  const [shown, setShown] = useState(shownStep);
  if (!allowed) {
    return (
      <main class="container">
        <h1>Audit trail</h1>
        <p>The audit trail is for administrators, cutover leads and leadership.</p>
      </main>
    );
  }
  const apply = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const next = new URLSearchParams();
    for (const k of ['actor', 'target']) {
      const v = String(data.get(k) ?? '').trim();
      if (v) next.set(k, v);
    }
    setShown(shownStep);
    setParams(next, { replace: true });
  };
  return (
    <main class="container-fluid audit-page">
      <h1>Audit trail</h1>
      <ChainStatus />
      <form key={`${actor}|${target}`} class="filters audit-filters" role="search" aria-label="Filter the audit trail" onSubmit={apply}>
        <label for="a-actor">
          Actor (person id)
          <input id="a-actor" name="actor" defaultValue={actor} placeholder="e.g. p-lead-01" autocomplete="off" />
        </label>
        <label for="a-target">
          Target id (program, incident, gate, department …)
          <input id="a-target" name="target" defaultValue={target} placeholder="e.g. demo-program" autocomplete="off" />
        </label>
        <div class="filter-buttons">
          <button type="submit">Filter</button>
          {actor || target ? (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setShown(shownStep);
                setParams(new URLSearchParams(), { replace: true });
              }}
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>
      <Trail actor={actor} target={target} shown={shown} onMore={() => setShown((n) => n + shownStep)} />
    </main>
  );
}

function Trail({ actor, target, shown, onMore }: { actor: string; target: string; shown: number; onMore: () => void }) {
  const { entries, dropped, error } = useAuditTrail(actor, target);
  if (!entries) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading the trail…</p>;
  const newestFirst = entries.slice().reverse();
  const rows = newestFirst.slice(0, shown);
  return (
    <section aria-labelledby="trail-h">
      <h2 id="trail-h">
        Entries, newest first{' '}
        <small>
          ({rows.length} of {entries.length}
          {dropped ? '+' : ''} shown)
        </small>
      </h2>
      {error ? <p class="stale">Connection lost, showing the last answer.</p> : null}
      {entries.length === 0 ? (
        <p>
          No entries{actor ? ` by ${actor}` : ''}
          {target ? ` about ${target}` : ''}.
        </p>
      ) : (
        <div class="table-scroll">
          <Table
            class="compact audit-table"
            testid="audit-table"
            rows={rows}
            rowKey={(e) => e.seq}
            columns={[
              { header: 'Seq', rowHeader: true, cell: (e) => e.seq },
              { header: 'Time', class: 'nowrap', cell: (e) => when(e.at) },
              {
                header: 'Actor (roles)',
                cell: (e) => (
                  <>
                    {e.actor}
                    {e.roles.length ? <small class="roles"> ({e.roles.join(', ')})</small> : null}
                  </>
                ),
              },
              { header: 'Action', class: 'action', cell: (e) => <code>{e.action}</code> },
              {
                header: 'Target',
                cell: (e) =>
                  Object.entries(e.target).length
                    ? Object.entries(e.target).map(([k, v]) => (
                        <div key={k} class="target">
                          <small>{k}</small> <code>{v}</code>
                        </div>
                      ))
                    : '—',
              },
              { header: 'Reason', class: 'reason', cell: (e) => e.reason ?? '—' },
              {
                header: 'Result',
                cell: (e) => {
                  const r = resultOf(e.action, e.result);
                  return (
                    <>
                      <Badge state={r.state} label={r.label} />
                      {e.details?.idempotentReplay ? <small> (repeat answered once)</small> : null}
                    </>
                  );
                },
              },
            ]}
          />
        </div>
      )}
      {newestFirst.length > rows.length ? (
        <button type="button" class="secondary" onClick={onMore}>
          Show {Math.min(shownStep, newestFirst.length - rows.length)} older entries
        </button>
      ) : dropped ? (
        <p>
          <small>Only the newest {keep} entries are kept in the page: filter by an actor or a target to reach older ones.</small>
        </p>
      ) : null}
    </section>
  );
}
