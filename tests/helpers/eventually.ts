import { vi } from 'vitest';

/**
 * Real-time polling for background work to land (sends, timeline writes, summaries): retries
 * `check` until it returns without throwing, and past `timeoutMs` fails with its last error.
 * vitest's own waitFor does the polling; this names it once with the tests' defaults.
 */
export const eventually = <T>(check: () => T | Promise<T>, timeoutMs = 30_000, intervalMs = 50): Promise<T> =>
  vi.waitFor(check, { timeout: timeoutMs, interval: intervalMs });
