import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';
import { useLocation } from 'wouter-preact';
import { useWords } from '../i18n';
import { domainLabel, nightHref, nightLabel, type NightsAnswer } from './nights';

// Only what a line chart needs: the bundle stays small.
Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend);
// Readable across a room, like the rest of the page.
Chart.defaults.font.size = 14;

/** Okabe–Ito colours (told apart with colour-blindness too), each domain also with its own point shape and dash. */
const palette = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const shapes = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot', 'cross', 'rectRounded'] as const;
const dashes = [[], [6, 3], [2, 2], [10, 4, 2, 4], [4, 4], [], [6, 3], [2, 2]];

/** The nights' rate per domain, in percent; a night whose comparison failed has no rate (a gap in the line). */
function series(data: NightsAnswer) {
  return data.domains.map((domain) =>
    data.nights.map((n) => {
      const r = n.results[domain];
      return r && r.status !== 'failed' ? r.mismatchRate * 100 : null;
    }),
  );
}

/**
 * Mismatch rate per domain over the nights (Chart.js line chart). The canvas is an image for
 * screen readers with a one-line summary; the numbers themselves are in a visually hidden table.
 * Clicking a point opens that night.
 */
export function MismatchChart({ programId, data }: { programId: string; data: NightsAnswer }) {
  const { t, pct, list, locale } = useWords();
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line', (number | null)[], string>>();
  const [, navigate] = useLocation();
  const nightsRef = useRef(data.nights);
  nightsRef.current = data.nights;

  useEffect(() => {
    if (!canvas.current) return;
    const config: ChartConfiguration<'line', (number | null)[], string> = {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        // Polled every few seconds: no animation on every refresh.
        animation: false,
        interaction: { mode: 'nearest', intersect: false, axis: 'x' },
        scales: {
          y: {
            beginAtZero: true,
            title: { display: true, text: t('ui.chart.yAxis') },
            ticks: { callback: (v) => `${Number(v).toFixed(2)}%` },
          },
          x: {
            title: { display: true, text: t('ui.chart.xAxis') },
            ticks: {
              maxRotation: 0,
              autoSkip: true,
              autoSkipPadding: 12,
              // Demo nights are minutes apart: the time on every tick, the date only where it changes.
              callback(_v, i) {
                const labels = (this.chart.data.labels ?? []) as string[];
                const [date, time] = (labels[i] ?? '').split(' ');
                if (!time) return date;
                return i === 0 || labels[i - 1]?.split(' ')[0] !== date ? [time, date!] : time;
              },
            },
          },
        },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true } },
          tooltip: {
            callbacks: {
              label: (ctx) =>
                t('ui.chart.point', {
                  domain: ctx.dataset.label ?? '',
                  value: ctx.parsed.y === null ? t('ui.chart.notCompared') : `${ctx.parsed.y.toFixed(3)}%`,
                }),
            },
          },
        },
        onClick: (_e, elements) => {
          const night = elements[0] ? nightsRef.current[elements[0].index] : undefined;
          if (night) navigate(nightHref(programId, night.businessDay));
        },
        onHover: (e, elements) => {
          const target = e.native?.target as HTMLElement | undefined;
          if (target) target.style.cursor = elements.length ? 'pointer' : 'default';
        },
      },
    };
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current?.destroy();
      chart.current = undefined;
    };
    // The axis titles and tooltips are words: a new chart when the page's language changes.
  }, [programId, navigate, locale]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    const values = series(data);
    c.data.labels = data.nights.map((n) => nightLabel(n.businessDay));
    c.data.datasets = data.domains.map((domain, i) => ({
      label: domainLabel(domain),
      data: values[i]!,
      borderColor: palette[i % palette.length],
      backgroundColor: palette[i % palette.length],
      pointStyle: shapes[i % shapes.length],
      borderDash: dashes[i % dashes.length],
      pointRadius: 4,
      pointHoverRadius: 7,
      borderWidth: 2,
      spanGaps: false,
      tension: 0,
    }));
    c.update('none');
  }, [data, locale]);

  const values = series(data);
  const last = (i: number) => values[i]!.at(-1);
  const summary = data.nights.length
    ? t('ui.chart.summary', {
        n: data.nights.length,
        last: list(
          data.domains.map((d, i) =>
            t('ui.chart.point', {
              domain: domainLabel(d),
              value: last(i) === null || last(i) === undefined ? t('ui.chart.notCompared') : `${last(i)!.toFixed(3)}%`,
            }),
          ),
        ),
      })
    : t('ui.run.noNight');
  return (
    <div class="mismatch-chart" data-testid="mismatch-chart">
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={summary} />
      </div>
      <table class="visually-hidden">
        <caption>{t('ui.chart.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('ui.chart.xAxis')}</th>
            {data.domains.map((d) => (
              <th scope="col" key={d}>
                {domainLabel(d)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.nights.map((n) => (
            <tr key={n.businessDay}>
              <th scope="row">{nightLabel(n.businessDay)}</th>
              {data.domains.map((d) => {
                const r = n.results[d];
                return (
                  <td key={d}>{!r ? t('ui.run.notYetRun') : r.status === 'failed' ? t('ui.chart.failed') : pct(r.mismatchRate, 3)}</td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
