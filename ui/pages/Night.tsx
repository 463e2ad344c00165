import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { ComparisonOutcomes, DomainResult } from '../../domain/parallel-run';
import { get } from '../api';
import { Badge } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { Table } from '../components/Table';
import { domainLabel, nightHref, nightLabel, useNights } from '../components/nights';
import { ProgramFrame, useProgram } from '../program';
import { useCan } from '../session';
import { useWords, type MessageKey, type PageWords } from '../i18n';

export function NightPage({ programId, businessDay }: { programId: string; businessDay: string }) {
  return (
    <ProgramFrame programId={programId} active="parallel-run">
      <Night businessDay={businessDay} />
    </ProgramFrame>
  );
}

interface Level {
  rate?: number;
  count?: number;
}

/** A level as the engine applies it: reached when the rate or the count is strictly above it. */
function level(w: PageWords, l: Level | undefined): string {
  const rate = l?.rate !== undefined ? w.pct(l.rate) : undefined;
  const count = l?.count !== undefined ? w.t('ui.night.levelKeys', { n: l.count }) : undefined;
  if (!rate && !count) return w.t('ui.common.none');
  return w.t('ui.night.level', { level: rate && count ? w.t('ui.night.or', { a: rate, b: count }) : (rate ?? count)! });
}

/** GET /v1/programs/{id}/parallel-run/runs/{runId}: counts only, never row values. */
interface RunCounts {
  runId: string;
  domain: string;
  status: string;
  businessDay: string;
  windowStart: string | null;
  windowEnd: string | null;
  rowsLegacy: number | null;
  rowsNew: number | null;
  distinctKeys: number | null;
  matched: number | null;
  missingInLegacy: number | null;
  missingInNew: number | null;
  mismatched: number | null;
  duplicateKeysLegacy: number | null;
  duplicateKeysNew: number | null;
  unmappedCodes: number | null;
  differingKeys: number | null;
  mismatchRate: number | null;
  fieldMismatches: Record<string, number> | null;
  unmappedByField: Record<string, number> | null;
  /** Outcomes beside the original categories; {} (or absent) for runs from before they existed. */
  outcomes?: Partial<ComparisonOutcomes> | null;
  thresholds: { warning?: Level; critical?: Level } | null;
  differences: number | null;
  errorCode: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * The runs of one night, fetched again only when a run id changes (a night compared again gets
 * new runs; a finished run's counts do not change).
 */
function useRuns(programId: string, runIds: string[]) {
  const [runs, setRuns] = useState<Record<string, RunCounts>>({});
  const [error, setError] = useState<unknown>();
  const key = runIds.join(',');
  useEffect(() => {
    let stopped = false;
    const missing = runIds.filter((id) => !runs[id]);
    if (missing.length === 0) return;
    Promise.all(missing.map((id) => get<RunCounts>(`/v1/programs/${encodeURIComponent(programId)}/parallel-run/runs/${id}`)))
      .then((got) => {
        if (stopped) return;
        setRuns((prev) => ({ ...prev, ...Object.fromEntries(got.map((r) => [r.runId, r])) }));
        setError(undefined);
      })
      .catch((err: unknown) => !stopped && setError(err));
    return () => {
      stopped = true;
    };
    // runIds is represented by key; runs is read only to skip what is already here.
  }, [programId, key]);
  return { runs, error };
}

/** Counts with digit grouping, the same in both locales (1,234): compared across pages, e-mails and exports. */
const num = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toLocaleString('en-US'));

type Row = { label: MessageKey; hint?: MessageKey; value: (w: PageWords, r: RunCounts | undefined, d: DomainResult | undefined) => string };

/** Measures as rows, domains as columns: the domains of one night side by side. */
const rows: Row[] = [
  { label: 'ui.night.rowsLegacy', value: (_w, r, d) => num(r?.rowsLegacy ?? d?.rowsLegacy) },
  { label: 'ui.night.rowsNew', value: (_w, r, d) => num(r?.rowsNew ?? d?.rowsNew) },
  { label: 'ui.night.matched', value: (_w, r) => num(r?.matched) },
  { label: 'ui.night.missingInLegacy', hint: 'ui.night.missingInLegacyHint', value: (_w, r) => num(r?.missingInLegacy) },
  { label: 'ui.night.missingInNew', hint: 'ui.night.missingInNewHint', value: (_w, r) => num(r?.missingInNew) },
  { label: 'ui.night.mismatched', hint: 'ui.night.mismatchedHint', value: (_w, r) => num(r?.mismatched) },
  {
    label: 'ui.night.duplicateKeys',
    hint: 'ui.night.legacyNew',
    value: (_w, r) => (r ? `${num(r.duplicateKeysLegacy)} / ${num(r.duplicateKeysNew)}` : '—'),
  },
  { label: 'ui.night.unmappedCodes', value: (_w, r) => num(r?.unmappedCodes) },
  {
    label: 'ui.night.invalidKeys',
    hint: 'ui.night.invalidKeysHint',
    value: (_w, r, d) => {
      const o = r?.outcomes ?? d?.outcomes;
      return o?.invalidKeysLegacy === undefined ? '—' : `${num(o.invalidKeysLegacy)} / ${num(o.invalidKeysNew)}`;
    },
  },
  {
    label: 'ui.night.ambiguousTimes',
    hint: 'ui.night.ambiguousTimesHint',
    value: (_w, r, d) => num((r?.outcomes ?? d?.outcomes)?.ambiguousTimes),
  },
  {
    label: 'ui.night.recheckedInFlight',
    hint: 'ui.night.recheckedInFlightHint',
    value: (_w, r, d) => num((r?.outcomes ?? d?.outcomes)?.recheckedInFlight),
  },
  { label: 'ui.night.differingKeys', value: (_w, r, d) => num(r?.differingKeys ?? d?.differingKeys) },
  { label: 'ui.night.mismatchRate', value: (w, r, d) => (d?.status === 'failed' ? '—' : w.pct(r?.mismatchRate ?? d?.mismatchRate, 3)) },
  { label: 'ui.night.warning', hint: 'ui.night.threshold', value: (w, r) => (r ? level(w, r.thresholds?.warning) : '—') },
  { label: 'ui.night.critical', hint: 'ui.night.threshold', value: (w, r) => (r ? level(w, r.thresholds?.critical) : '—') },
];

function Night({ businessDay }: { businessDay: string }) {
  const { status } = useProgram();
  const w = useWords();
  const { t, when } = w;
  const programId = status.programId;
  const { data, error } = useNights(programId);
  const canDownload = useCan('lead', 'oncall', 'admin');
  const index = data ? data.nights.findIndex((n) => n.businessDay === businessDay) : -1;
  const night = data?.nights[index];
  const runIds = night ? data.domains.flatMap((d) => (night.results[d]?.runId ? [night.results[d].runId] : [])) : [];
  const { runs, error: runsError } = useRuns(programId, runIds);

  const back = (
    <p>
      <Link href={`/programs/${programId}/parallel-run`}>{t('ui.night.allNights')}</Link>
    </p>
  );
  if (!data) return error ? <ErrorNote error={error} /> : <p aria-busy="true">{t('ui.night.loading')}</p>;
  if (!night) {
    return (
      <section>
        <h2>{t('ui.night.title', { night: nightLabel(businessDay) })}</h2>
        <p>{t('ui.night.notCompared')}</p>
        {back}
      </section>
    );
  }
  const prev = data.nights[index - 1];
  const next = data.nights[index + 1];
  const runOf = (d: string) => {
    const id = night.results[d]?.runId;
    return id ? runs[id] : undefined;
  };
  const csvHref = (runId: string) => `/v1/programs/${encodeURIComponent(programId)}/parallel-run/runs/${runId}/differences.csv`;
  const nonZero = (o: Record<string, number> | null | undefined) => Object.entries(o ?? {}).filter(([, n]) => n > 0);
  const withFields = data.domains.filter((d) => nonZero(runOf(d)?.fieldMismatches).length || nonZero(runOf(d)?.unmappedByField).length);
  const failed = data.domains.filter((d) => night.results[d]?.status === 'failed' || runOf(d)?.errorCode);

  return (
    <>
      <nav aria-label={t('ui.night.nav')} class="night-nav">
        <ul>
          <li>
            <Link href={`/programs/${programId}/parallel-run`}>{t('ui.night.allNights')}</Link>
          </li>
        </ul>
        <ul>
          <li>
            {prev ? (
              <Link href={nightHref(programId, prev.businessDay)}>{t('ui.night.before', { night: nightLabel(prev.businessDay) })}</Link>
            ) : (
              <span class="muted">{t('ui.night.first')}</span>
            )}
          </li>
          <li>
            {next ? (
              <Link href={nightHref(programId, next.businessDay)}>{t('ui.night.after', { night: nightLabel(next.businessDay) })}</Link>
            ) : (
              <span class="muted">{t('ui.night.latest')}</span>
            )}
          </li>
        </ul>
      </nav>
      <section aria-labelledby="night-h">
        <h2 id="night-h">{t('ui.night.title', { night: nightLabel(night.businessDay) })}</h2>
        <p>{t('ui.night.window', { from: when(night.from), to: when(night.to), zone: status.timeZone })}</p>
        <ErrorNote error={runsError} />
        <div class="table-scroll">
          <table class="compact night-counts" data-testid="night-counts">
            <caption>{t('ui.night.countsCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('ui.night.measure')}</th>
                {data.domains.map((d) => (
                  <th scope="col" key={d}>
                    {domainLabel(d)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">{t('ui.night.status')}</th>
                {data.domains.map((d) => {
                  const r = night.results[d];
                  return <td key={d}>{r ? <Badge state={r.status} /> : <Badge state="none" label={t('ui.run.notYetRun')} />}</td>;
                })}
              </tr>
              {rows.map((row) => (
                <tr key={row.label}>
                  <th scope="row">
                    {t(row.label)}
                    {row.hint ? <small class="hint"> ({t(row.hint)})</small> : null}
                  </th>
                  {data.domains.map((d) => (
                    <td key={d} class="num">
                      {row.value(w, runOf(d), night.results[d])}
                    </td>
                  ))}
                </tr>
              ))}
              <tr>
                <th scope="row">{t('ui.night.differences')}</th>
                {data.domains.map((d) => {
                  const r = night.results[d];
                  const run = runOf(d);
                  return (
                    <td key={d}>
                      {!r?.runId ? (
                        '—'
                      ) : canDownload ? (
                        <a
                          href={csvHref(r.runId)}
                          download
                          data-testid={`csv-${d}`}
                          aria-label={t('ui.night.csvLabel', { domain: domainLabel(d), night: nightLabel(night.businessDay) })}
                        >
                          CSV
                          {run?.differences !== null && run?.differences !== undefined
                            ? ` · ${t('ui.night.csvCount', { n: run.differences })}`
                            : ''}
                        </a>
                      ) : (
                        num(run?.differences)
                      )}
                    </td>
                  );
                })}
              </tr>
            </tbody>
          </table>
        </div>
        {canDownload ? (
          <p class="note">
            <small>{t('ui.night.csvAudited')}</small>
          </p>
        ) : (
          <p class="note" data-testid="download-note">
            {t('ui.night.csvResponders')}
          </p>
        )}
      </section>
      {failed.length ? (
        <section aria-labelledby="failed-h">
          <h2 id="failed-h">{t('ui.night.failedTitle')}</h2>
          <ul>
            {failed.map((d) => (
              <li key={d}>
                <strong>{domainLabel(d)}</strong>: {t('ui.night.failedItem', { error: runOf(d)?.errorCode ?? t('ui.night.noResult') })}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {withFields.length ? (
        <section aria-labelledby="fields-h">
          <h2 id="fields-h">{t('ui.night.fieldsTitle')}</h2>
          <div class="field-cards">
            {withFields.map((d) => {
              const run = runOf(d)!;
              const fields = nonZero(run.fieldMismatches).sort((a, b) => b[1] - a[1]);
              const unmapped = nonZero(run.unmappedByField).sort((a, b) => b[1] - a[1]);
              return (
                <article key={d}>
                  <h3>
                    {domainLabel(d)} <Badge state={run.status} />
                  </h3>
                  <Table
                    class="compact"
                    rows={[...fields.map(([f, n]) => ({ f, n, unmapped: false })), ...unmapped.map(([f, n]) => ({ f, n, unmapped: true }))]}
                    rowKey={(r) => (r.unmapped ? `u-${r.f}` : r.f)}
                    columns={[
                      {
                        header: t('ui.night.field'),
                        rowHeader: true,
                        cell: (r) => (
                          <>
                            <code>{r.f}</code>
                            {r.unmapped ? (
                              <>
                                {' '}
                                <small>{t('ui.night.unmappedCode')}</small>
                              </>
                            ) : null}
                          </>
                        ),
                      },
                      { header: t('ui.night.mismatched'), class: 'num', cell: (r) => num(r.n) },
                    ]}
                  />
                </article>
              );
            })}
          </div>
        </section>
      ) : null}
    </>
  );
}
