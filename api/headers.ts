/**
 * Headers of every response, API JSON as much as the page (whose shell adds its CSP, api/ui.ts):
 * no content sniffing, no referrer, no framing; no caching anywhere, as API answers carry
 * patient data (packets, difference CSVs) or who-did-what, and the page's assets opt back in
 * with their own `no-cache` + ETag. HSTS once the deployment is reached over https: a public
 * base URL on https, or a request that arrived over TLS (directly, or through a proxy trusted
 * by TRUST_PROXY).
 */
import type { RequestHandler } from 'express';
import type { Config } from '../platform/config';

export const hstsValue = 'max-age=31536000; includeSubDomains';

export function securityHeaders(config: Pick<Config, 'PUBLIC_BASE_URL'>): RequestHandler {
  const httpsDeployment = new URL(config.PUBLIC_BASE_URL).protocol === 'https:';
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    if (httpsDeployment || req.secure) res.setHeader('Strict-Transport-Security', hstsValue);
    next();
  };
}
