import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../domain/i18n';
import { ApiError, getIfChanged } from './api';
import { WordsContext } from './i18n';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  refresh: () => void;
}

/**
 * Live data: the command center stays current without a reload. The program's state comes as
 * Server-Sent Events where the browser has EventSource (the server sends it only when it
 * changed); on a stream error, or no first event within 5 s (a proxy that buffers), and for
 * every other path, short polling every 2 s by default, paused while the tab is hidden. Each
 * poll sends the last answer's ETag: unchanged state costs a 304 without a body, and the page
 * keeps what it shows (no re-render). The last good answer stays on screen when a poll fails.
 * `refresh` (after the page's own action) reads at once: the server answers it with the effect.
 */
/** Paths the server also pushes as Server-Sent Events: the program's live state (`/stream`). */
const streamOf = (path: string) => (/^\/v1\/programs\/[^/?#]+$/.test(path) ? `${path}/stream` : undefined);
const firstEventWithinMs = 5000;

export function usePoll<T>(path: string | null, everyMs = 2000): Polled<T> {
  const { locale } = useContext(WordsContext);
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [tick, setTick] = useState(0);
  const current = useRef(path);
  current.current = path;
  // The ETag of the data on screen, for this path only.
  const shown = useRef<{ path: string; etag: string | undefined }>();
  const refresh = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    shown.current = undefined;
  }, [path]);

  useEffect(() => {
    if (!path) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (document.hidden) {
        timer = setTimeout(() => void run(), everyMs);
        return;
      }
      try {
        const etag = shown.current?.path === path ? shown.current.etag : undefined;
        const next = await getIfChanged<T>(path, etag);
        if (!stopped && current.current === path) {
          if (next.changed) {
            shown.current = { path, etag: next.etag };
            setData(next.data);
          }
          setError(undefined);
        }
      } catch (err) {
        if (!stopped) setError(err as Error);
      }
      if (!stopped) timer = setTimeout(() => void run(), everyMs);
    };
    const streamPath = streamOf(path);
    let source: EventSource | undefined;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    if (streamPath && typeof EventSource !== 'undefined') {
      const stream = new EventSource(streamPath);
      source = stream;
      const fallBack = () => {
        clearTimeout(watchdog);
        stream.close();
        if (stopped || source !== stream) return;
        source = undefined;
        void run();
      };
      // A proxy that buffers the stream delivers nothing: without the first state soon, poll.
      watchdog = setTimeout(fallBack, firstEventWithinMs);
      stream.addEventListener('status', (e) => {
        clearTimeout(watchdog);
        if (stopped || current.current !== path) return;
        shown.current = { path, etag: e.lastEventId || undefined };
        setData(JSON.parse(e.data) as T);
        setError(undefined);
      });
      stream.addEventListener('unavailable', (e) => {
        const code = (JSON.parse(e.data) as { error?: string }).error ?? 'unavailable';
        if (!stopped) setError(new ApiError(503, code, t(locale, 'ui.error.liveUnavailable'), { error: code }));
      });
      // A lost connection, a refusal (401 after sign-out), a server restarting: polling takes over
      // (and says what is wrong), rather than EventSource's silent reconnects.
      stream.onerror = fallBack;
    } else {
      void run();
    }
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(watchdog);
      source?.close();
    };
  }, [path, everyMs, tick]);

  return { data, error, refresh };
}
