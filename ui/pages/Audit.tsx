import { useCallback, useEffect, useState } from 'preact/hooks';
import { useSearchParams } from 'wouter-preact';
import type { AuditEntry, AuditProblem } from '../../domain/audit';
import { catalogs } from '../../domain/i18n';
import { ApiError, get } from '../api';
import { Badge } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { Table } from '../components/Table';
import { Person, useNames } from '../people';
import { useCan } from '../session';
import { useWords, type MessageKey, type PageWords } from '../i18n';

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

function ChainStatus() {
  const { t, when } = useWords();
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
    const timer = setInterval(() => void verify(), 60_000);
    return () => clearInterval(timer);
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
          <p aria-busy="true">{t('ui.audit.verifying')}</p>
        )
      ) : v.ok ? (
        <p>
          <Badge state="verified" label={t('ui.audit.verified')} /> <strong>{t('ui.audit.verifiedText', { n: v.count })}</strong>
        </p>
      ) : (
        <p>
          <Badge state="broken" label={t('ui.audit.broken')} />{' '}
          <strong>
            {t('ui.audit.brokenText', {
              seq: v.brokenAt ?? '?',
              problem: v.problem ? t(`ui.audit.problem.${v.problem}` as MessageKey) : t('ui.audit.notIntact'),
            })}
          </strong>{' '}
          {v.breaksTotal && v.breaksTotal > 1 ? `${t('ui.audit.breaks', { n: v.breaksTotal })} ` : ''}
          {t('ui.audit.brokenAdvice', { n: v.count })}
        </p>
      )}
      <p class="chain-meta">
        <small>
          {checkedAt ? `${t('ui.audit.checked', { time: when(checkedAt, { seconds: true }) })} ` : ''}
          {v?.anchoredThrough !== undefined ? `${t('ui.audit.anchored', { seq: v.anchoredThrough, n: v.unanchored ?? 0 })} ` : ''}
          {v && error ? `${t('ui.audit.lastFailed')} ` : ''}
        </small>
        <button type="button" class="secondary outline small" onClick={() => void verify()} aria-busy={busy} disabled={busy}>
          {t('ui.audit.verifyAgain')}
        </button>
      </p>
    </section>
  );
}

/** Requests record their HTTP status; the workflows record an outcome word or number of their own. */
function resultOf(w: PageWords, action: string, result: string): { state: string; label: string } {
  const n = Number(result);
  if (!/^(POST|PUT|PATCH|DELETE) \//.test(action) || !/^\d{3}$/.test(result)) return { state: 'res-other', label: result };
  if (n < 400) return { state: 'res-ok', label: w.t('ui.audit.done', { code: result }) };
  if (n < 500) return { state: 'res-refused', label: w.t('ui.audit.refused', { code: result }) };
  return { state: 'res-failed', label: w.t('ui.audit.failed', { code: result }) };
}

/** A role in words; one this build does not know stays its code. */
function roleWord(w: PageWords, role: string): string {
  const key = `ui.role.${role}` as MessageKey;
  return key in catalogs.en ? w.t(key) : role;
}

/** Every recorded action, newest first, with the hash chain's verification on top. */
export function AuditPage() {
  const allowed = useCan('admin', 'lead', 'leadership');
  const { t } = useWords();
  const [params, setParams] = useSearchParams();
  const actor = params.get('actor') ?? '';
  const target = params.get('target') ?? '';
  const [shown, setShown] = useState(shownStep);
  if (!allowed) {
    return (
      <main class="container">
        <h1>{t('ui.audit.title')}</h1>
        <p>{t('ui.audit.forbidden')}</p>
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
      <h1>{t('ui.audit.title')}</h1>
      <ChainStatus />
      <form key={`${actor}|${target}`} class="filters audit-filters" role="search" aria-label={t('ui.audit.filter')} onSubmit={apply}>
        <label for="a-actor">
          {t('ui.audit.actor')}
          <input
            id="a-actor"
            name="actor"
            defaultValue={actor}
            placeholder={t('ui.audit.actorExample', { example: 'p-lead-01' })}
            autocomplete="off"
          />
        </label>
        <label for="a-target">
          {t('ui.audit.target')}
          <input
            id="a-target"
            name="target"
            defaultValue={target}
            placeholder={t('ui.audit.actorExample', { example: 'demo-program' })}
            autocomplete="off"
          />
        </label>
        <div class="filter-buttons">
          <button type="submit">{t('ui.audit.filterButton')}</button>
          {actor || target ? (
            <button
              type="button"
              class="secondary"
              onClick={() => {
                setShown(shownStep);
                setParams(new URLSearchParams(), { replace: true });
              }}
            >
              {t('ui.audit.clear')}
            </button>
          ) : null}
        </div>
      </form>
      <Trail actor={actor} target={target} shown={shown} onMore={() => setShown((n) => n + shownStep)} />
    </main>
  );
}

function Trail({ actor, target, shown, onMore }: { actor: string; target: string; shown: number; onMore: () => void }) {
  const w = useWords();
  const { t, when } = w;
  const { entries, dropped, error } = useAuditTrail(actor, target);
  const name = useNames(entries?.slice(-shown).map((e) => e.actor) ?? []);
  if (!entries) return error ? <ErrorNote error={error} /> : <p aria-busy="true">{t('ui.audit.loading')}</p>;
  const newestFirst = entries.slice().reverse();
  const rows = newestFirst.slice(0, shown);
  return (
    <section aria-labelledby="trail-h">
      <h2 id="trail-h">
        {t('ui.audit.entries')}{' '}
        <small>{t('ui.audit.shown', { shown: rows.length, total: entries.length, more: dropped ? 'yes' : 'no' })}</small>
      </h2>
      {error ? <p class="stale">{t('ui.audit.stale')}</p> : null}
      {entries.length === 0 ? (
        <p>{t('ui.audit.none', { actor: actor || 'any', target: target || 'any' })}</p>
      ) : (
        <div class="table-scroll">
          <Table
            class="compact audit-table"
            testid="audit-table"
            rows={rows}
            rowKey={(e) => e.seq}
            columns={[
              { header: t('ui.audit.col.seq'), rowHeader: true, cell: (e) => e.seq },
              { header: t('ui.audit.col.time'), class: 'nowrap', cell: (e) => when(e.at, { seconds: true }) },
              {
                header: t('ui.audit.col.actor'),
                cell: (e) => (
                  <>
                    <Person id={e.actor} name={name} />
                    {e.roles.length ? <small class="roles"> ({w.list(e.roles.map((r) => roleWord(w, r)))})</small> : null}
                  </>
                ),
              },
              { header: t('ui.audit.col.action'), class: 'action', cell: (e) => <code>{e.action}</code> },
              {
                header: t('ui.audit.col.target'),
                cell: (e) =>
                  Object.entries(e.target).length
                    ? Object.entries(e.target).map(([k, v]) => (
                        <div key={k} class="target">
                          <small>{k}</small> <code>{v}</code>
                        </div>
                      ))
                    : '—',
              },
              { header: t('ui.audit.col.reason'), class: 'reason', cell: (e) => e.reason ?? '—' },
              {
                header: t('ui.audit.col.result'),
                cell: (e) => {
                  const r = resultOf(w, e.action, e.result);
                  return (
                    <>
                      <Badge state={r.state} label={r.label} />
                      {e.details?.idempotentReplay ? <small> {t('ui.audit.replay')}</small> : null}
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
          {t('ui.audit.older', { n: Math.min(shownStep, newestFirst.length - rows.length) })}
        </button>
      ) : dropped ? (
        <p>
          <small>{t('ui.audit.onlyNewest', { n: keep })}</small>
        </p>
      ) : null}
    </section>
  );
}
