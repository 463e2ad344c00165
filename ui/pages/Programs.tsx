import { useEffect } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { when } from '../components/Badge';
import { ErrorNote } from '../components/ErrorNote';
import { usePoll } from '../poll';

interface ProgramRow {
  programId: string;
  hospital: string;
  createdBy: string;
  createdAt: string;
}

export function ProgramsPage() {
  const { data, error } = usePoll<{ programs: ProgramRow[] }>('/v1/programs', 10_000);
  const [, navigate] = useLocation();
  // A command center usually runs one go-live: go straight to it.
  useEffect(() => {
    if (data?.programs.length === 1) navigate(`/programs/${data.programs[0]!.programId}`, { replace: true });
  }, [data]);
  return (
    <main class="container">
      <h1>Programs</h1>
      <ErrorNote error={error} />
      {!data ? (
        <p aria-busy="true">Loading…</p>
      ) : data.programs.length === 0 ? (
        <p>No program yet: a cutover lead loads a plan with POST /v1/programs.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Program</th>
              <th scope="col">Hospital</th>
              <th scope="col">Loaded</th>
            </tr>
          </thead>
          <tbody>
            {data.programs.map((p) => (
              <tr key={p.programId}>
                <td>
                  <Link href={`/programs/${p.programId}`}>{p.programId}</Link>
                </td>
                <td>{p.hospital}</td>
                <td>
                  {when(p.createdAt)} by {p.createdBy}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
