/**
 * The read path of live workflow state (program status, parallel-run nights, migration progress).
 * A Temporal query runs in the worker: it wakes the workflow (replaying it when it is not cached),
 * and a command center watched by hundreds of pages polling every 2 s asked it hundreds of times a
 * second for the same answer (issue 15). Here, per workflow and query:
 *
 * - concurrent callers share ONE query in flight;
 * - its answer is reused for `freshMs`, counted from when the query was sent, so what a reader gets
 *   is never older than that bound (0 turns reuse and sharing off: every read queries);
 * - a failure (no such workflow, Temporal down) reaches every caller of that query but is never kept:
 *   the next read asks again;
 * - `invalidate` drops a workflow's entries, an in-flight query included, so the process that has
 *   just applied a decision answers the next read with the decision in it;
 * - at most `maxEntries` entries, least recently read first out, so memory does not grow with the
 *   number of programs ever read.
 */

export type LookupOutcome = 'hit' | 'shared' | 'miss';

export interface LiveReadsOptions {
  freshMs: number;
  maxEntries?: number;
  /** Told about each read: served from the entry, joined the query in flight, or sent a query. */
  onLookup?: (outcome: LookupOutcome) => void;
  now?: () => number;
}

interface Entry {
  startedAt: number;
  pending?: Promise<unknown>;
  value?: unknown;
}

export class LiveReads {
  readonly freshMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly onLookup: (outcome: LookupOutcome) => void;
  // A Map iterates in insertion order: re-inserting on each read keeps the least recently read first.
  private readonly entries = new Map<string, Entry>();

  constructor(options: LiveReadsOptions) {
    this.freshMs = options.freshMs;
    this.maxEntries = Math.max(1, options.maxEntries ?? 1000);
    this.now = options.now ?? Date.now;
    this.onLookup = options.onLookup ?? (() => undefined);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The answer of `query` on `workflowId`: `load` runs only when no fresh answer or query in flight exists. */
  read<T>(workflowId: string, query: string, load: () => Promise<T>): Promise<T> {
    if (this.freshMs <= 0) {
      this.onLookup('miss');
      return load();
    }
    const key = keyOf(workflowId, query);
    const found = this.entries.get(key);
    if (found) {
      if (found.pending) {
        this.touch(key, found);
        this.onLookup('shared');
        return found.pending as Promise<T>;
      }
      if (this.now() - found.startedAt < this.freshMs) {
        this.touch(key, found);
        this.onLookup('hit');
        return Promise.resolve(found.value as T);
      }
    }
    this.onLookup('miss');
    const entry: Entry = { startedAt: this.now() };
    entry.pending = Promise.resolve()
      .then(load)
      .then(
        (value) => {
          // Invalidated (or evicted) meanwhile: the callers in flight get this answer, later ones ask again.
          if (this.entries.get(key) === entry) {
            entry.value = value;
            entry.pending = undefined;
          }
          return value;
        },
        (err: unknown) => {
          if (this.entries.get(key) === entry) this.entries.delete(key);
          throw err;
        },
      );
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return entry.pending as Promise<T>;
  }

  /** Drops every entry of the workflow: the next read queries it again. */
  invalidate(workflowId: string): void {
    const prefix = keyOf(workflowId, '');
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
}

// NUL cannot occur in a workflow id the API builds (codes and uuids), so keys of two workflows never collide.
const keyOf = (workflowId: string, query: string) => `${workflowId}\0${query}`;
