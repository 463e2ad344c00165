/**
 * Input text is valid Unicode or refused, in one place for every route, before anything is
 * hashed (idempotency, audit) or stored: a lone UTF-16 surrogate (JSON's "\ud800") would be
 * stored as U+FFFD and differ from what was hashed, and PostgreSQL text cannot hold NUL.
 */
import type { RequestHandler } from 'express';
import { isStorableText } from '../platform/audit';
import { ValidationError, type FieldIssue } from './errors';
import type { AnyRoute } from './route';

const maxIssues = 20;
const message = 'must be valid Unicode text: no lone UTF-16 surrogate, no NUL character';

function check(value: unknown, path: string, issues: FieldIssue[]): void {
  if (issues.length >= maxIssues) return;
  if (typeof value === 'string') {
    if (!isStorableText(value)) issues.push({ path, rule: 'unicode', message });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => check(v, `${path}.${i}`, issues));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // A bad key is named by where it is, not by itself.
      if (!isStorableText(k)) issues.push({ path: `${path}.(key)`, rule: 'unicode', message });
      else check(v, `${path}.${k}`, issues);
    }
  }
}

/**
 * After the JSON body is parsed: the path parameters, query and body the route reads (what it
 * does not declare, it never uses), every string and key.
 */
export const refuseMalformedText =
  (def: AnyRoute): RequestHandler =>
  (req, _res, next) => {
    const issues: FieldIssue[] = [];
    if (def.params) check(req.params, 'params', issues);
    if (def.query) check(req.query, 'query', issues);
    if (def.body) check(req.body, 'body', issues);
    next(issues.length ? new ValidationError(issues) : undefined);
  };
