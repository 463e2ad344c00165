/**
 * Push for open pages (Server-Sent Events): ONE poller per key (a program) however many streams
 * watch it, started with the first and stopped with the last. It reads every `everyMs` (through
 * the live-read path, so it shares queries with the polling readers) and tells the watchers only
 * when the state's tag changed: an idle page costs the server a timer per program, not a request
 * every 2 s.
 */

export interface Tagged {
  text: string;
  etag: string;
}

export type StreamEvent = { kind: 'state'; state: Tagged } | { kind: 'error'; error: unknown };
export type StreamListener = (event: StreamEvent) => void;

export interface LiveStreamsOptions {
  everyMs: number;
  /** A comment line this often keeps proxies and the browser from closing an idle stream. */
  keepAliveMs?: number;
  /** The body's text and strong tag, the same as a GET's (api/route.ts). */
  tag: (value: unknown) => Tagged;
}

interface Poller {
  listeners: Set<StreamListener>;
  timer?: ReturnType<typeof setTimeout>;
  last?: StreamEvent;
  stopped: boolean;
}

export class LiveStreams {
  readonly everyMs: number;
  readonly keepAliveMs: number;
  private readonly tag: (value: unknown) => Tagged;
  private readonly pollers = new Map<string, Poller>();
  /** Reads sent by the pollers (for tests and metrics). */
  reads = 0;

  constructor(options: LiveStreamsOptions) {
    this.everyMs = options.everyMs;
    this.keepAliveMs = options.keepAliveMs ?? 15_000;
    this.tag = options.tag;
  }

  /** Pollers running now: one per watched key. */
  get size(): number {
    return this.pollers.size;
  }

  /** Watches `key`: `listener` gets the last known state at once (if any), then each change. Returns the unsubscribe. */
  subscribe(key: string, load: () => Promise<unknown>, listener: StreamListener): () => void {
    let poller = this.pollers.get(key);
    if (!poller) {
      const created: Poller = { listeners: new Set(), stopped: false };
      this.pollers.set(key, created);
      poller = created;
      void this.tick(created, load);
    } else if (poller.last) {
      listener(poller.last);
    }
    poller.listeners.add(listener);
    const watched = poller;
    return () => {
      watched.listeners.delete(listener);
      if (watched.listeners.size || watched.stopped) return;
      watched.stopped = true;
      clearTimeout(watched.timer);
      if (this.pollers.get(key) === watched) this.pollers.delete(key);
    };
  }

  private async tick(poller: Poller, load: () => Promise<unknown>): Promise<void> {
    let event: StreamEvent;
    try {
      this.reads++;
      event = { kind: 'state', state: this.tag(await load()) };
    } catch (error) {
      event = { kind: 'error', error };
    }
    if (poller.stopped) return;
    const before = poller.last;
    const changed =
      !before ||
      before.kind !== event.kind ||
      (event.kind === 'state' && before.kind === 'state' && before.state.etag !== event.state.etag);
    if (changed) {
      poller.last = event;
      for (const listener of [...poller.listeners]) listener(event);
    }
    poller.timer = setTimeout(() => void this.tick(poller, load), this.everyMs);
  }
}
