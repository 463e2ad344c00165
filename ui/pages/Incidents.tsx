export function IncidentsPage() {
  return <main class="container"><h1>Incidents</h1></main>;
}

export function IncidentPage({ incidentId }: { incidentId: string }) {
  return <main class="container"><h1>Incident {incidentId}</h1></main>;
}
