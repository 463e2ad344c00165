import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedHook {
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What a path answers: a status and a body; the last one repeats. */
export type Answer = { status: number; body?: unknown };

/**
 * A real HTTP server in the test process standing in for a webhook, a WeCom or a DingTalk robot:
 * it records every request and answers each path from a script (by default 200 `{"errcode":0}`).
 */
export async function startWebhookReceiver() {
  const received: ReceivedHook[] = [];
  const scripts = new Map<string, Answer[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver');
      received.push({ path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const script = scripts.get(url.pathname);
      const answer = (script && script.length > 1 ? script.shift() : script?.[0]) ?? { status: 200, body: { errcode: 0, errmsg: 'ok' } };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    received,
    to: (path: string) => received.filter((r) => r.path === path),
    /** Answers of `path`, in order; the last one repeats. */
    script: (path: string, answers: Answer[]) => void scripts.set(path, answers),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
