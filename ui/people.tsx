/**
 * People by name, never by id (an id is opaque to people): the names of the ids a page shows,
 * asked of GET /v1/people/names in one batch per render pass and kept for the page's life (a
 * person's name rarely changes, and every page names the same few people).
 */
import { useEffect, useState } from 'preact/hooks';
import { get } from './api';

// The shape of a person id (domain/people.ts PersonId): anything else (a system actor, a
// workflow) names nobody, and asking for it would make the whole batch a 400.
const personIdShape = /^[a-z0-9][a-z0-9._-]{1,63}$/;
// The route's limit per request (domain/people.ts maxPersonIdsPerLookup).
const perRequest = 200;

/** Asked and answered: the name, or null when the id names nobody. */
const known = new Map<string, string | null>();
const asking = new Set<string>();
const queued = new Set<string>();
const listeners = new Set<() => void>();

function flush(): void {
  const ids = [...queued];
  queued.clear();
  for (let i = 0; i < ids.length; i += perRequest) {
    const batch = ids.slice(i, i + perRequest);
    batch.forEach((id) => asking.add(id));
    get<{ names: Record<string, string> }>(`/v1/people/names?ids=${batch.map(encodeURIComponent).join(',')}`)
      .then(({ names }) => batch.forEach((id) => known.set(id, names[id] ?? null)))
      // Unanswered (the API down): the ids stay on screen, and the next page that shows them asks again.
      .catch(() => undefined)
      .finally(() => {
        batch.forEach((id) => asking.delete(id));
        listeners.forEach((l) => l());
      });
  }
}

function ask(ids: readonly string[]): void {
  const wanted = ids.filter((id) => personIdShape.test(id) && !known.has(id) && !asking.has(id));
  if (!wanted.length) return;
  // Every component of one render pass adds its ids before the batch leaves.
  if (!queued.size) queueMicrotask(flush);
  wanted.forEach((id) => queued.add(id));
}

/** `name(id)`: the person's display name once known, else the id itself ('—' for none). */
export function useNames(ids: readonly (string | null | undefined)[]): (id: string | null | undefined) => string {
  const [, setVersion] = useState(0);
  const present = ids.filter((id): id is string => !!id);
  const key = [...new Set(present)].sort().join(',');
  useEffect(() => {
    const rerender = () => setVersion((v) => v + 1);
    listeners.add(rerender);
    ask(present);
    return () => void listeners.delete(rerender);
  }, [key]);
  return (id) => (id ? (known.get(id) ?? id) : '—');
}

/** A person by name, the id in the tooltip (for whoever needs the id: the audit filter, the admin CLI). */
export function Person({ id, name }: { id: string | null | undefined; name: (id: string | null | undefined) => string }) {
  return id ? <span title={id}>{name(id)}</span> : <>—</>;
}
