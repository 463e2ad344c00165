export function AuditPage() {
  return <main class="container"><h1>Audit trail</h1></main>;
}
