/**
 * The command center is served by the API process itself: one HTML shell for every page path
 * (the page routes in the browser), a script bundled from ui/ by esbuild when the process
 * starts, and Pico's stylesheet with ours. The page talks to the same /v1 API as everyone
 * else, signed in with a session cookie (api/session.ts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Express, RequestHandler, Response } from 'express';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const root = path.resolve(__dirname, '..');
let built: Promise<Record<string, Asset>> | undefined;

function asset(body: string | Uint8Array, type: string): Asset {
  const buf = Buffer.from(body);
  return { body: buf, type, etag: `"${createHash('sha256').update(buf).digest('base64url').slice(0, 22)}"` };
}

/** Bundles once per process: a few hundred milliseconds, and the page always matches the server it came from. */
export function buildUi(): Promise<Record<string, Asset>> {
  built ??= (async () => {
    // Imported here so that a process that never serves the page (the worker, tests of the API alone) does not load esbuild.
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [path.join(root, 'ui', 'main.tsx')],
      bundle: true,
      write: false,
      minify: true,
      format: 'iife',
      target: 'es2022',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      legalComments: 'none',
      logLevel: 'silent',
      tsconfig: path.join(root, 'ui', 'tsconfig.json'),
    });
    const js = result.outputFiles[0]!.contents;
    const pico = await readFile(require.resolve('@picocss/pico/css/pico.min.css'));
    const ours = await readFile(path.join(root, 'ui', 'styles.css'));
    return {
      '/ui/app.js': asset(js, 'text/javascript; charset=utf-8'),
      '/ui/app.css': asset(Buffer.concat([pico, Buffer.from('\n'), ours]), 'text/css; charset=utf-8'),
    };
  })();
  return built;
}

const shellHtml = `<!doctype html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>golive command center</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script defer src="/ui/app.js"></script>
</head>
<body><div id="app"><main class="container"><p aria-busy="true">Loading the command center…</p></main></div>
<noscript>The command center needs JavaScript.</noscript></body>
</html>`;

/** Headers of every page: no framing, no inline script, no referrer (acknowledge links carry a token in the path). */
export function sendShell(res: Response, status = 200): void {
  res
    .status(status)
    .type('html')
    .set({
      'Content-Security-Policy':
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    })
    .send(shellHtml);
}

/** Paths the page routes itself; /ack/{token} and /check/{token} are API routes that send the same shell. */
const pagePaths = /^\/(?:|sign-in|programs(?:\/.*)?|incidents(?:\/.*)?|audit|my-tasks)$/;

export function mountUi(app: Express): void {
  // Start bundling now, so the first visitor does not wait for it.
  buildUi().catch(() => undefined);
  const serveAsset: RequestHandler = async (req, res, next) => {
    try {
      const a = (await buildUi())[req.path];
      if (!a) return next();
      res.set({ 'Content-Type': a.type, ETag: a.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      if (req.header('if-none-match') === a.etag) return void res.status(304).end();
      res.send(a.body);
    } catch (err) {
      next(err);
    }
  };
  app.get(['/ui/app.js', '/ui/app.css'], serveAsset);
  app.get(pagePaths, (_req, res) => sendShell(res));
}
