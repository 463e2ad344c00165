import { useEffect } from 'preact/hooks';
import { Link, useLocation } from 'wouter-preact';
import { ErrorNote } from '../components/ErrorNote';
import { useWords } from '../i18n';
import { useNames } from '../people';
import { usePoll } from '../poll';

interface ProgramRow {
  programId: string;
  hospital: string;
  createdBy: string;
  createdAt: string;
}

export function ProgramsPage() {
  const { t, when } = useWords();
  const { data, error } = usePoll<{ programs: ProgramRow[] }>('/v1/programs', 10_000);
  const [, navigate] = useLocation();
  const name = useNames(data?.programs.map((p) => p.createdBy) ?? []);
  // A command center usually runs one go-live: go straight to it.
  useEffect(() => {
    if (data?.programs.length === 1) navigate(`/programs/${data.programs[0]!.programId}`, { replace: true });
  }, [data]);
  return (
    <main class="container">
      <h1>{t('ui.programs.title')}</h1>
      <ErrorNote error={error} />
      {!data ? (
        <p aria-busy="true">{t('ui.common.loading')}</p>
      ) : data.programs.length === 0 ? (
        <p>{t('ui.programs.none', { request: 'POST /v1/programs' })}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('ui.programs.col.program')}</th>
              <th scope="col">{t('ui.programs.col.hospital')}</th>
              <th scope="col">{t('ui.programs.col.loaded')}</th>
            </tr>
          </thead>
          <tbody>
            {data.programs.map((p) => (
              <tr key={p.programId}>
                <td>
                  <Link href={`/programs/${p.programId}`}>{p.programId}</Link>
                </td>
                <td>{p.hospital}</td>
                <td title={p.createdBy}>{t('ui.programs.loaded', { time: when(p.createdAt), name: name(p.createdBy) })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
