/**
 * The JSON body parser with its limits, checked on the raw bytes before JSON.parse and before
 * anything (the Idempotency-Key's hash, the audit, zod) walks the value: a body that is too
 * large is refused by its length (413), one nested deeper than any real request by a single
 * scan (400), so a crafted body costs the server one pass over at most `maxBytes`.
 */
import express, { type RequestHandler } from 'express';
import { HttpError } from './errors';

/** A plan for a large hospital (hundreds of departments, ladders, comparison domains) is well under this. */
export const maxBodyBytes = 2 * 1024 * 1024;
/** The deepest real body, a plan, nests about 8 levels; 32 leaves room and bounds every recursive walk. */
export const maxBodyDepth = 32;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of objects and arrays in JSON text (strings skipped); stops counting past `limit`. */
export function jsonDepth(buf: Uint8Array, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return max;
}

export function jsonBody(): RequestHandler {
  return express.json({
    limit: maxBodyBytes,
    verify: (_req, _res, buf) => {
      if (jsonDepth(buf, maxBodyDepth) > maxBodyDepth) {
        throw new HttpError(400, 'body_too_deep', `the body nests objects and arrays more than ${maxBodyDepth} levels deep`, {
          rule: 'max-depth',
          maxDepth: maxBodyDepth,
        });
      }
    },
  });
}
