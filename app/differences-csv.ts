/**
 * The download of a run's differences: the comparison engine writes them to comparison_difference
 * (compare/differences.ts); this use case streams them out for the API's authorised route.
 */
import { PassThrough, type Readable } from 'node:stream';
import { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/**
 * Stream a run's differences as CSV (header: key,kind,field,legacy_value,new_value), ordered by
 * insertion. Memory is bounded (PostgreSQL COPY). Intended for an authorized download route.
 */
export function streamDifferencesCsv(resultsUrl: string, runId: string): Readable {
  if (!/^[0-9a-fA-F-]{36}$/.test(runId)) throw new Error('compare: invalid run id');
  const out = new PassThrough();
  const client = new Client({ connectionString: resultsUrl });
  const finish = (err?: Error): void => {
    client.end().catch(() => undefined);
    if (err) out.destroy(new Error('compare: difference export failed'));
  };
  client
    .connect()
    .then(() => {
      const s = client.query(
        copyTo(
          `COPY (SELECT key::text AS key, kind, field, legacy_value, new_value FROM comparison_difference WHERE run_id = '${runId}' ORDER BY id) TO STDOUT (FORMAT csv, HEADER)`,
        ),
      );
      s.on('error', (e: Error) => finish(e));
      s.on('end', () => finish());
      s.pipe(out);
    })
    .catch((e: Error) => finish(e));
  return out;
}
