import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import type { ComparisonOutcomes, DomainResult } from '../../domain/parallel-run';
import { get } from '../api';
import { Badge, pct, when } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { Table } from '../components/Table';
import { domainLabel, nightHref, nightLabel, useNights } from '../components/nights';
import { ProgramFrame, useProgram } from '../program';
import { useCan } from '../session';

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
function level(l: Level | undefined): string {
  if (!l) return 'none';
  const parts = [l.rate !== undefined ? pct(l.rate) : '', l.count !== undefined ? `${l.count.toLocaleString()} keys` : ''].filter(Boolean);
  return parts.length ? `above ${parts.join(' or ')}` : 'none';
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

const num = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toLocaleString());

type Row = { label: string; hint?: string; value: (r: RunCounts | undefined, d: DomainResult | undefined) => string };

/** Measures as rows, domains as columns: the domains of one night side by side. */
const rows: Row[] = [
  { label: 'Rows in legacy', value: (r, d) => num(r?.rowsLegacy ?? d?.rowsLegacy) },
  { label: 'Rows in new', value: (r, d) => num(r?.rowsNew ?? d?.rowsNew) },
  { label: 'Matched', value: (r) => num(r?.matched) },
  { label: 'Missing in legacy', hint: 'in the new system only', value: (r) => num(r?.missingInLegacy) },
  { label: 'Missing in new', hint: 'in the legacy system only', value: (r) => num(r?.missingInNew) },
  { label: 'Mismatched', hint: 'same key, a field differs', value: (r) => num(r?.mismatched) },
  { label: 'Duplicate keys', hint: 'legacy / new', value: (r) => (r ? `${num(r.duplicateKeysLegacy)} / ${num(r.duplicateKeysNew)}` : '—') },
  { label: 'Unmapped codes', value: (r) => num(r?.unmappedCodes) },
  {
    label: 'Invalid keys',
    hint: 'a key column NULL or empty; legacy / new rows',
    value: (r, d) => {
      const o = r?.outcomes ?? d?.outcomes;
      return o?.invalidKeysLegacy === undefined ? '—' : `${num(o.invalidKeysLegacy)} / ${num(o.invalidKeysNew)}`;
    },
  },
  {
    label: 'Nonexistent local times',
    hint: 'in the hour skipped by daylight saving',
    value: (r, d) => num((r?.outcomes ?? d?.outcomes)?.ambiguousTimes),
  },
  {
    label: 'Rechecked in flight',
    hint: 'keys changed just before or during the comparison',
    value: (r, d) => num((r?.outcomes ?? d?.outcomes)?.recheckedInFlight),
  },
  { label: 'Differing keys', value: (r, d) => num(r?.differingKeys ?? d?.differingKeys) },
  { label: 'Mismatch rate', value: (r, d) => (d?.status === 'failed' ? '—' : pct(r?.mismatchRate ?? d?.mismatchRate, 3)) },
  { label: 'Warning', hint: 'threshold', value: (r) => (r ? level(r.thresholds?.warning) : '—') },
  { label: 'Critical', hint: 'threshold', value: (r) => (r ? level(r.thresholds?.critical) : '—') },
];

function Night({ businessDay }: { businessDay: string }) {
  const { status } = useProgram();
  const programId = status.programId;
  const { data, error } = useNights(programId);
  const canDownload = useCan('lead', 'oncall', 'admin');
  const index = data ? data.nights.findIndex((n) => n.businessDay === businessDay) : -1;
  const night = data?.nights[index];
  const runIds = night ? data.domains.flatMap((d) => (night.results[d]?.runId ? [night.results[d].runId] : [])) : [];
  const { runs, error: runsError } = useRuns(programId, runIds);

  const back = (
    <p>
      <Link href={`/programs/${programId}/parallel-run`}>← All nights</Link>
    </p>
  );
  if (!data) return error ? <ErrorNote error={error} /> : <p aria-busy="true">Loading the night…</p>;
  if (!night) {
    return (
      <section>
        <h2>Night {nightLabel(businessDay)}</h2>
        <p>This night has not been compared (yet).</p>
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
      <nav aria-label="Nights" class="night-nav">
        <ul>
          <li>
            <Link href={`/programs/${programId}/parallel-run`}>← All nights</Link>
          </li>
        </ul>
        <ul>
          <li>
            {prev ? (
              <Link href={nightHref(programId, prev.businessDay)}>‹ Night before ({nightLabel(prev.businessDay)})</Link>
            ) : (
              <span class="muted">First night</span>
            )}
          </li>
          <li>
            {next ? (
              <Link href={nightHref(programId, next.businessDay)}>Night after ({nightLabel(next.businessDay)}) ›</Link>
            ) : (
              <span class="muted">Latest night</span>
            )}
          </li>
        </ul>
      </nav>
      <section aria-labelledby="night-h">
        <h2 id="night-h">Night {nightLabel(night.businessDay)}</h2>
        <p>
          Compared window {when(night.from)} – {when(night.to)} ({status.timeZone} business day; shown in your local time).
        </p>
        <ErrorNote error={runsError} />
        <div class="table-scroll">
          <table class="compact night-counts" data-testid="night-counts">
            <caption>Every domain's counts for this night. The counts carry no patient data.</caption>
            <thead>
              <tr>
                <th scope="col">Measure</th>
                {data.domains.map((d) => (
                  <th scope="col" key={d}>
                    {domainLabel(d)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">Status</th>
                {data.domains.map((d) => {
                  const r = night.results[d];
                  return <td key={d}>{r ? <Badge state={r.status} /> : <Badge state="none" label="not yet run" />}</td>;
                })}
              </tr>
              {rows.map((row) => (
                <tr key={row.label}>
                  <th scope="row">
                    {row.label}
                    {row.hint ? <small class="hint"> ({row.hint})</small> : null}
                  </th>
                  {data.domains.map((d) => (
                    <td key={d} class="num">
                      {row.value(runOf(d), night.results[d])}
                    </td>
                  ))}
                </tr>
              ))}
              <tr>
                <th scope="row">Differences</th>
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
                          aria-label={`Download the differences of ${domainLabel(d)} on ${nightLabel(night.businessDay)} as CSV`}
                        >
                          CSV
                          {run?.differences !== null && run?.differences !== undefined
                            ? ` · ${num(run.differences)} ${run.differences === 1 ? 'difference' : 'differences'}`
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
            <small>The CSV holds the differing rows' keys and values (patient data): every download is recorded in the audit trail.</small>
          </p>
        ) : (
          <p class="note" data-testid="download-note">
            The download of the differences (patient data) is for responders: the cutover lead, the on-call engineer and administrators.
          </p>
        )}
      </section>
      {failed.length ? (
        <section aria-labelledby="failed-h">
          <h2 id="failed-h">Comparisons that could not run</h2>
          <ul>
            {failed.map((d) => (
              <li key={d}>
                <strong>{domainLabel(d)}</strong>: {runOf(d)?.errorCode ?? 'no result'}; it is compared again until it runs.
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {withFields.length ? (
        <section aria-labelledby="fields-h">
          <h2 id="fields-h">Where the differences are</h2>
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
                        header: 'Field',
                        rowHeader: true,
                        cell: (r) => (
                          <>
                            <code>{r.f}</code>
                            {r.unmapped ? (
                              <>
                                {' '}
                                <small>(unmapped code)</small>
                              </>
                            ) : null}
                          </>
                        ),
                      },
                      { header: 'Mismatched', class: 'num', cell: (r) => num(r.n) },
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
