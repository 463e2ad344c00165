import { Link } from 'wouter-preact';
import { Badge } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { MismatchChart } from '../components/MismatchChart';
import { Table } from '../components/Table';
import { domainLabel, nightHref, nightLabel, useNights, type NightsAnswer } from '../components/nights';
import { ProgramFrame, useProgram, type ProgramStatus } from '../program';
import { runProgress } from '../components/run-progress';
import { blockText } from '../components/blockers';
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
  const w = useWords();
  const { t, when, list, locale } = w;
  const progress = runProgress(status, locale);
  return (
    <section aria-labelledby="run-h">
      <h2 id="run-h">{t('ui.run.summary')}</h2>
      <p class="run-day" data-testid="run-summary">
        <strong>{progress ?? t('ui.run.runningSince', { time: when(status.waves[0]?.wentLiveAt) })}</strong> ·{' '}
        {t('ui.common.nightsCompared', { n: pr.nightsCompared })} ·{' '}
        {pr.endsNoEarlierThan ? t('ui.run.endsNoEarlier', { time: when(pr.endsNoEarlierThan) }) : t('ui.run.endNotYet')}
      </p>
      {pr.critical.length ? (
        <p class="error-note" role="status">
          <strong>
            {t('ui.run.criticalLastNight', {
              domains: list(
                pr.critical.map((c) =>
                  t('ui.run.criticalDomain', {
                    domain: domainLabel(c.domain),
                    action: c.onCritical.replace(/-(\w)/g, (_, ch: string) => ch.toUpperCase()),
                  }),
                ),
              ),
            })}
          </strong>
        </p>
      ) : null}
      {pr.finalGateBlocks.length ? (
        <div class="blockers">
          <strong>{t('ui.run.finalNotYet')}</strong>
          <ul>
            {pr.finalGateBlocks.slice(0, 6).map((b, i) => (
              <li key={i}>{blockText(w, b)}</li>
            ))}
          </ul>
          {pr.finalGateBlocks.length > 6 ? (
            <details>
              <summary>{t('ui.run.more', { n: pr.finalGateBlocks.length - 6 })}</summary>
              <ul>
                {pr.finalGateBlocks.slice(6).map((b, i) => (
                  <li key={i}>{blockText(w, b)}</li>
                ))}
              </ul>
            </details>
          ) : null}
        </div>
      ) : (
        <p>
          <Badge state="pass" label={t('ui.run.ready')} /> {t('ui.run.finalMay')}
          {final ? (
            <>
              {' '}
              <Link href={`/programs/${status.programId}/gates/final`}>{t('ui.run.finalGate')}</Link>
            </>
          ) : null}
        </p>
      )}
    </section>
  );
}

function DomainTrends({ status }: { status: ProgramStatus }) {
  const { t, pct } = useWords();
  const pr = status.parallelRun;
  return (
    <section aria-labelledby="trend-h">
      <h2 id="trend-h">{t('ui.run.perDomain')}</h2>
      <div class="table-scroll">
        <Table
          class="compact"
          testid="domain-trend"
          rows={pr.trend}
          rowKey={(row) => row.domain}
          columns={[
            { header: t('ui.common.domain'), rowHeader: true, cell: (row) => domainLabel(row.domain) },
            {
              header: t('ui.common.lastNight'),
              cell: (row) => {
                const last = pr.lastNight?.perDomain.find((d) => d.domain === row.domain);
                return last ? <Badge state={last.status} /> : '—';
              },
            },
            { header: t('ui.common.cleanStreak'), class: 'nowrap', cell: (row) => t('ui.run.nightsCount', { n: row.cleanStreak }) },
            {
              header: t('ui.run.nightsByStatus'),
              class: 'nowrap',
              cell: (row) => `${row.clean} / ${row.warning} / ${row.critical} / ${row.failed}`,
            },
            { header: t('ui.run.latestRate'), cell: (row) => pct(row.latestMismatchRate, 3) },
            { header: t('ui.run.highestRate'), cell: (row) => pct(row.maxMismatchRate, 3) },
            { header: t('ui.common.trend'), class: 'nowrap', cell: (row) => <Direction direction={row.direction} /> },
          ]}
        />
      </div>
    </section>
  );
}

function WaveNights({ status }: { status: ProgramStatus }) {
  const { t } = useWords();
  const rows = status.parallelRun.nightsSinceWaveLive;
  return (
    <section aria-labelledby="waves-h">
      <h2 id="waves-h">{t('ui.run.sinceWave')}</h2>
      {rows.length === 0 ? (
        <p>{t('ui.run.noWaveLive')}</p>
      ) : (
        <div class="table-scroll">
          <Table
            class="compact auto-width"
            testid="wave-nights"
            rows={rows}
            rowKey={(w) => w.wave}
            columns={[
              { header: t('ui.run.col.wave'), rowHeader: true, cell: (w) => t('ui.run.waveName', { wave: w.wave }) },
              { header: t('ui.run.col.compared'), cell: (w) => w.compared },
              { header: t('ui.state.clean'), cell: (w) => w.clean },
              { header: t('ui.state.warning'), cell: (w) => w.warning },
              { header: t('ui.state.critical'), cell: (w) => w.critical },
              { header: t('ui.state.failed'), cell: (w) => w.failed },
            ]}
          />
        </div>
      )}
    </section>
  );
}

/** Nights (newest first) by domains: each cell a word, a colour and a link to the night's counts. */
export function NightsGrid({ programId, data }: { programId: string; data: NightsAnswer }) {
  const { t, pct } = useWords();
  const nights = [...data.nights].reverse();
  return (
    <div class="table-scroll">
      <table class="grid-table" data-testid="nights-grid">
        <caption>{t('ui.run.gridCaption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('ui.run.col.night')}</th>
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
              <td colSpan={data.domains.length + 1}>{t('ui.run.noNight')}</td>
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
                  const result = r ? t(`ui.state.${r.status}`) : t('ui.run.notYetRun');
                  const labelled = { domain: domainLabel(d), night: nightLabel(n.businessDay), result };
                  return (
                    <td key={d} class={`cell s-${state}`} data-status={state}>
                      <Link
                        href={href}
                        aria-label={
                          r && r.status !== 'failed'
                            ? t('ui.run.cellLabelRate', { ...labelled, rate: pct(r.mismatchRate, 3) })
                            : t('ui.run.cellLabel', labelled)
                        }
                      >
                        <span class="word">{result}</span>
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
  const { t } = useWords();
  const { data, error } = useNights(status.programId);
  const pr = status.parallelRun;
  return (
    <>
      {!pr.started ? (
        <section>
          <h2>{t('ui.run.title')}</h2>
          <p>{t('ui.run.notStarted')}</p>
        </section>
      ) : (
        <>
          <RunSummary status={status} />
          <DomainTrends status={status} />
          <WaveNights status={status} />
        </>
      )}
      <section aria-labelledby="chart-h">
        <h2 id="chart-h">{t('ui.run.chart')}</h2>
        {error && !data ? <ErrorNote error={error} /> : null}
        {!data ? (
          <p aria-busy="true">{t('ui.run.loadingNights')}</p>
        ) : data.nights.length === 0 ? (
          <p>{t('ui.run.noNight')}</p>
        ) : (
          <MismatchChart programId={status.programId} data={data} />
        )}
      </section>
      <section aria-labelledby="nights-h">
        <h2 id="nights-h">{t('ui.run.nights')}</h2>
        {data ? <NightsGrid programId={status.programId} data={data} /> : null}
      </section>
    </>
  );
}
