/**
 * Check-off by reply: an owner answers a runbook task's e-mail with `DONE <task>` as its first
 * line. The e-mail's Reply-To carries an opaque single-use reference to that one notice; this
 * module holds the pure part (the address, the first line, the outcome codes). The listener is
 * platform/inbound-smtp.ts, the use case app/reply-checkoffs.ts.
 */

/** The reference: 16 random bytes as lower-case hex (mail systems may fold the case of a local part). */
export const replyRefPattern = /^[0-9a-f]{32}$/;

/** `done+<reference>@<domain>`: what the task e-mail's Reply-To names. */
export const replyAddress = (ref: string, domain: string) => `done+${ref}@${domain}`;

/** The reference in a recipient address of this deployment's domain, or undefined. */
export function refFromAddress(address: string, domain: string): string | undefined {
  const m = /^done\+([0-9a-fA-F]{32})@(.+)$/.exec(address.trim());
  if (!m || m[2]!.toLowerCase() !== domain.toLowerCase()) return undefined;
  return m[1]!.toLowerCase();
}

/** What happened to a reply, as a code: the log line, the stored outcome and the SMTP answer say it. */
export type ReplyOutcome =
  | 'checked-off'
  | 'not-a-check-off'
  | 'reply-ref-unknown'
  | 'reply-ref-used'
  | 'reply-ref-expired'
  | 'stranger-sender'
  | 'unknown-task'
  | 'refused-not-allowed'
  | 'refused-invalid-state'
  | 'run-finished'
  | 'too-large'
  | 'garbled'
  | 'try-later';

// Width-folded (NFKC makes full-width letters, digits, spaces, colons and commas ASCII) but the
// ideographic full stop and comma stay themselves, so they are listed. Invisible marks that
// mail clients and input methods insert are dropped first.
const invisible = /[\u200b-\u200f\u2060\ufeff\u00ad]/g;
const trailing = /[\s.,;:!?。、，；：！？]+$/u;

/**
 * The check-off a reply's body asks for: its first line that is not empty and not quoted must be
 * `DONE` or `DONE <task>` (any case; full-width letters and spaces, a colon or a dash between,
 * trailing punctuation all tolerated). `{}` is `DONE` alone (the e-mail is about one task);
 * null is any other first line. Quoted text below it is never read.
 */
export function parseDoneLine(text: string): { task?: string } | null {
  const first = text
    .normalize('NFKC')
    .replace(invisible, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('>'));
  if (!first) return null;
  const m = /^done(?:(?:\s*[:\-–—]\s*|\s+)([A-Za-z0-9][A-Za-z0-9._-]{0,63}))?$/i.exec(first.replace(trailing, ''));
  if (!m) return null;
  // A code that ends in a dot ("DONE freeze.") lost it to the trailing punctuation already.
  return m[1] ? { task: m[1] } : {};
}
