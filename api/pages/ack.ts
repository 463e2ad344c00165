/**
 * The acknowledge confirmation page. Following an e-mail link only shows it (mail scanners
 * follow links); acknowledging takes the reader's own API token, sent by the page's script as
 * a bearer header to POST /ack/{token}. Codes and opaque ids only, like the e-mails.
 */
interface IncidentSummary {
  incidentId: string;
  programId: string;
  departments: string[];
  severity: string;
  condition: string;
  status: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function ackPage(token: string, incident: IncidentSummary | undefined): string {
  const head = '<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>golive: acknowledge</title></head><body style="font-family:sans-serif;max-width:40em">';
  if (!incident) {
    return `${head}<h1>This link cannot be used</h1><p>It was used already, it has expired, or its incident is closed.</p></body></html>`;
  }
  const rows: [string, string][] = [
    ['Incident', incident.incidentId],
    ['Program', incident.programId],
    ['Departments', incident.departments.join(', ') || 'all'],
    ['Severity', incident.severity.toUpperCase()],
    ['What happened', incident.condition],
    ['Status', incident.status],
  ];
  return `${head}<h1>Acknowledge this incident?</h1>
<table>${rows.map(([k, v]) => `<tr><th style="text-align:left">${k}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<p>Acknowledging makes you its owner and stops the escalation. Confirm with your personal API token.</p>
<form id="ack"><label>Your API token <input id="apiToken" type="password" autocomplete="off" required></label> <button type="submit">Acknowledge</button></form>
<p id="result" role="status"></p>
<script>
document.getElementById('ack').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = document.getElementById('result');
  const res = await fetch(${JSON.stringify(`/ack/${token}`)}, { method: 'POST', headers: { authorization: 'Bearer ' + document.getElementById('apiToken').value } });
  const body = await res.json().catch(() => ({}));
  out.textContent = res.ok ? 'Acknowledged: you own this incident.' : (body.message || ('Refused (' + res.status + ')'));
});
</script></body></html>`;
}
