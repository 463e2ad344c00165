import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getIfChanged } from './api';

export interface Polled<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  refresh: () => void;
}

/**
 * Short polling: the command center stays current without a reload (every 2 s by default,
 * paused while the tab is hidden). The last good answer stays on screen when a poll fails.
 * Each poll sends the last answer's ETag: unchanged state costs a 304 without a body, and the
 * page keeps what it shows (no re-render).
 */
export function usePoll<T>(path: string | null, everyMs = 2000): Polled<T> {
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
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path, everyMs, tick]);

  return { data, error, refresh };
}
