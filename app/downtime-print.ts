/**
 * A downtime packet as people print it, in the reader's language: the department's census,
 * active orders and pending results as the system last had them, then the blank paper forms.
 * Patient data: this page goes to responders who download the packet, and nowhere else.
 */
import { hospitalTime, list, t, type Locale, type MessageKey } from '../domain/i18n';
import { en } from '../domain/i18n/en';

export interface PrintablePacket {
  hospital: string;
  department: string;
  emergency: number;
  asOf: Date;
  timeZone: string;
  forms: string[];
  content: { census?: Record<string, unknown>[]; activeOrders?: Record<string, unknown>[]; pendingResults?: Record<string, unknown>[] };
}

const escapeHtml = (v: unknown) =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Blank lines per form: a department fills a page before it needs another. */
const BLANK_LINES = 18;

/** The system's own records, with its own column names: the packet shows what the system said. */
function records(rows: Record<string, unknown>[] | undefined, locale: Locale): string {
  if (!rows?.length) return `<p>${escapeHtml(t(locale, 'packet.none'))}</p>`;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(r[c])}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A form's catalog keys, for the forms golive knows; another code is printed as a generic form. */
function formKeys(code: string): { title: MessageKey; columns: MessageKey } | undefined {
  const title = `packet.form.${code}`;
  const columns = `packet.form.${code}.columns`;
  return title in en && columns in en ? { title: title as MessageKey, columns: columns as MessageKey } : undefined;
}

const formTitle = (code: string, locale: Locale) => {
  const keys = formKeys(code);
  return keys ? t(locale, keys.title) : t(locale, 'packet.form.other', { code });
};

function blankForm(code: string, locale: Locale): string {
  const title = formTitle(code, locale);
  const columns = t(locale, formKeys(code)?.columns ?? 'packet.form.other.columns').split(' | ');
  const row = `<tr>${columns.map(() => '<td>&nbsp;</td>').join('')}</tr>`;
  return `<section class="form"><h3>${escapeHtml(title)}</h3><table class="blank"><thead><tr>${columns
    .map((c) => `<th>${escapeHtml(c)}</th>`)
    .join('')}</tr></thead><tbody>${row.repeat(BLANK_LINES)}</tbody></table></section>`;
}

export function renderPacketHtml(p: PrintablePacket, locale: Locale): string {
  const c = p.content;
  const section = (key: 'packet.census' | 'packet.activeOrders' | 'packet.pendingResults', rows: Record<string, unknown>[] | undefined) =>
    `<section><h2>${escapeHtml(t(locale, key, { n: rows?.length ?? 0 }))}</h2>${records(rows, locale)}</section>`;
  const title = t(locale, 'packet.title', { department: p.department });
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:1.5cm}table{border-collapse:collapse;width:100%;margin-bottom:1em}th,td{border:1px solid #444;padding:4px 6px;text-align:left;font-size:11pt}
.blank td{height:1.6em}.form{page-break-before:always}.warn{font-weight:bold}@media print{button{display:none}}</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(t(locale, 'packet.subtitle', { hospital: p.hospital, emergency: p.emergency, time: hospitalTime(p.asOf.getTime(), p.timeZone, locale) }))}</p>
<p class="warn">${escapeHtml(t(locale, 'packet.confidential'))}</p>
${section('packet.census', c.census)}
${section('packet.activeOrders', c.activeOrders)}
${section('packet.pendingResults', c.pendingResults)}
<h2>${escapeHtml(t(locale, 'packet.forms'))}</h2>
<p>${escapeHtml(t(locale, 'packet.formsHelp'))} ${escapeHtml(
    list(
      locale,
      p.forms.map((f) => formTitle(f, locale)),
    ),
  )}</p>
${p.forms.map((f) => blankForm(f, locale)).join('\n')}
</body></html>`;
}
