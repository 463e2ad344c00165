import { Link } from 'wouter-preact';
import { Badge, pct, when } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { MismatchChart } from '../components/MismatchChart';
import { Table } from '../components/Table';
import { domainLabel, nightHref, nightLabel, useNights, type NightsAnswer } from '../components/nights';
import { ProgramFrame, useProgram, type ProgramStatus } from '../program';
import { runProgress } from '../components/run-progress';
import { catalogs } from '../../domain/i18n';
import { useWords, type MessageKey } from '../i18n';

export function ParallelRunPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="parallel-run">
      <ParallelRun />
    </ProgramFrame>
  );
}

const arrow: Record<string, string> = { improving: '↘', worsening: '↗', steady: '→', unknown: '' };

/** The trend's direction as a word (and an arrow for the eye); "unknown" until 6 nights are compared. */
export function Direction({ direction }: { direction: string }) {
  const { t } = useWords();
  const key = `ui.common.direction.${direction}` as MessageKey;
  return (
    <span class={`direction d-${direction}`}>
      {arrow[direction] ? <span aria-hidden="true">{arrow[direction]} </span> : null}
      {key in catalogs.en ? t(key) : direction}
    </span>
  );
}

function RunSummary({ status }: { status: ProgramStatus }) {
  const pr = status.parallelRun;
  const final = status.gates.find((g) => g.gate === 'final');
  const { locale } = useWords();
  const progress = runProgress(status, locale);
  return (
    <section aria-labelledby="run-h">
      <h2 id="run-h">Run summary</h2>
      <p class="run-day" data-testid="run-summary">
        {progress ? <strong>{progress}</strong> : <strong>Running since {when(status.waves[0]?.wentLiveAt)}</strong>} · {pr.nightsCompared}{' '}
        {pr.nightsCompared === 1 ? 'night' : 'nights'} compared ·{' '}
        {pr.endsNoEarlierThan ? (
          <>
            ends no earlier than <strong>{when(pr.endsNoEarlierThan)}</strong>
          </>
        ) : (
          'the end is counted from the last wave’s go-live (not yet)'
        )}
      </p>
      {pr.critical.length ? (
        <p class="error-note" role="status">
          <strong>Critical last night:</strong>{' '}
          {pr.critical.map((c) => `${domainLabel(c.domain)} (the plan asks: ${c.onCritical})`).join('; ')}
        </p>
      ) : null}
      {pr.finalGateBlockers.length ? (
        <div class="blockers">
          <strong>The final gate may not be requested yet:</strong>
          <ul>
            {pr.finalGateBlockers.slice(0, 6).map((b) => (
              <li key={b}>{b}</li>
            ))}
          </ul>
          {pr.finalGateBlockers.length > 6 ? (
            <details>
              <summary>{pr.finalGateBlockers.length - 6} more</summary>
              <ul>
                {pr.finalGateBlockers.slice(6).map((b) => (
                  <li key={b}>{b}</li>
                ))}
              </ul>
            </details>
          ) : null}
        </div>
      ) : (
        <p>
          <Badge state="pass" label="ready" /> The final gate may be requested
          {final ? (
            <>
              {' '}
              — <Link href={`/programs/${status.programId}/gates/final`}>final gate</Link>
            </>
          ) : null}
          .
        </p>
      )}
    </section>
  );
}

function DomainTrends({ status }: { status: ProgramStatus }) {
  const pr = status.parallelRun;
  return (
    <section aria-labelledby="trend-h">
      <h2 id="trend-h">Per domain</h2>
      <div class="table-scroll">
        <Table
          class="compact"
          testid="domain-trend"
          rows={pr.trend}
          rowKey={(t) => t.domain}
          columns={[
            { header: 'Domain', rowHeader: true, cell: (t) => domainLabel(t.domain) },
            {
              header: 'Last night',
              cell: (t) => {
                const last = pr.lastNight?.perDomain.find((d) => d.domain === t.domain);
                return last ? <Badge state={last.status} /> : '—';
              },
            },
            { header: 'Clean streak', class: 'nowrap', cell: (t) => `${t.cleanStreak} ${t.cleanStreak === 1 ? 'night' : 'nights'}` },
            {
              header: (
                <>
                  Nights <small class="nowrap">clean / warning /</small> <small class="nowrap">critical / failed</small>
                </>
              ),
              class: 'nowrap',
              cell: (t) => `${t.clean} / ${t.warning} / ${t.critical} / ${t.failed}`,
            },
            { header: 'Latest rate', cell: (t) => pct(t.latestMismatchRate, 3) },
            { header: 'Highest rate', cell: (t) => pct(t.maxMismatchRate, 3) },
            { header: 'Trend', class: 'nowrap', cell: (t) => <Direction direction={t.direction} /> },
          ]}
        />
      </div>
    </section>
  );
}

function WaveNights({ status }: { status: ProgramStatus }) {
  const rows = status.parallelRun.nightsSinceWaveLive;
  return (
    <section aria-labelledby="waves-h">
      <h2 id="waves-h">Nights since each wave went live</h2>
      {rows.length === 0 ? (
        <p>No wave is live yet.</p>
      ) : (
        <div class="table-scroll">
          <Table
            class="compact auto-width"
            testid="wave-nights"
            rows={rows}
            rowKey={(w) => w.wave}
            columns={[
              { header: 'Wave', rowHeader: true, cell: (w) => (w.wave === 1 ? 'Pilot' : `Wave ${w.wave}`) },
              { header: 'Compared', cell: (w) => w.compared },
              { header: 'Clean', cell: (w) => w.clean },
              { header: 'Warning', cell: (w) => w.warning },
              { header: 'Critical', cell: (w) => w.critical },
              { header: 'Failed', cell: (w) => w.failed },
            ]}
          />
        </div>
      )}
    </section>
  );
}

const cellWord: Record<string, string> = { clean: 'clean', warning: 'warning', critical: 'critical', failed: 'failed' };

/** Nights (newest first) by domains: each cell a word, a colour and a link to the night's counts. */
export function NightsGrid({ programId, data }: { programId: string; data: NightsAnswer }) {
  const nights = [...data.nights].reverse();
  return (
    <div class="table-scroll">
      <table class="grid-table" data-testid="nights-grid">
        <caption>Each night's comparison per domain, newest first. A cell opens the night's counts.</caption>
        <thead>
          <tr>
            <th scope="col">Night</th>
            {data.domains.map((d) => (
              <th scope="col" key={d}>
                {domainLabel(d)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {nights.length === 0 ? (
            <tr>
              <td colSpan={data.domains.length + 1}>No night compared yet.</td>
            </tr>
          ) : null}
          {nights.map((n) => {
            const href = nightHref(programId, n.businessDay);
            return (
              <tr key={n.businessDay}>
                <th scope="row">
                  <Link href={href}>{nightLabel(n.businessDay)}</Link>
                </th>
                {data.domains.map((d) => {
                  const r = n.results[d];
                  const state = r?.status ?? 'none';
                  return (
                    <td key={d} class={`cell s-${state}`} data-status={state}>
                      <Link
                        href={href}
                        aria-label={`${domainLabel(d)} on ${nightLabel(n.businessDay)}: ${r ? cellWord[r.status] : 'not yet run'}${r && r.status !== 'failed' ? `, ${pct(r.mismatchRate, 3)} mismatched` : ''}`}
                      >
                        <span class="word">{r ? cellWord[r.status] : 'not yet run'}</span>
                        {r && r.status !== 'failed' ? <small>{pct(r.mismatchRate, 3)}</small> : null}
                      </Link>
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function ParallelRun() {
  const { status } = useProgram();
  const { data, error } = useNights(status.programId);
  const pr = status.parallelRun;
  return (
    <>
      {!pr.started ? (
        <section>
          <h2>Parallel run</h2>
          <p>
            The parallel run starts when the pilot goes live: from then on, every night the legacy and the new system are compared, domain
            by domain.
          </p>
        </section>
      ) : (
        <>
          <RunSummary status={status} />
          <DomainTrends status={status} />
          <WaveNights status={status} />
        </>
      )}
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">Mismatch rate per domain</h2>
        {error && !data ? <ErrorNote error={error} /> : null}
        {!data ? (
          <p aria-busy="true">Loading the nights…</p>
        ) : data.nights.length === 0 ? (
          <p>No night compared yet.</p>
        ) : (
          <MismatchChart programId={status.programId} data={data} />
        )}
      </section>
      <section aria-labelledby="nights-h">
        <h2 id="nights-h">Nights</h2>
        {data ? <NightsGrid programId={status.programId} data={data} /> : null}
      </section>
    </>
  );
}
