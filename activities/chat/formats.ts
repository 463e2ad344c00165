/**
 * The three webhook formats as plain requests (no I/O here, so each is tested byte for byte):
 * golive's generic signed JSON, the WeCom (企业微信) group robot and the DingTalk (钉钉) group
 * robot. What they carry is a message's subject and lines, the same codes, counts and links as
 * its e-mail: no field of a message can hold patient data (activities/mail/templates.ts).
 */
import { createHash, createHmac } from 'node:crypto';
import type { ChatKind } from '../../domain/chat';
import type { Line, MessageParts } from '../mail/render';

export interface ChatRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface ChatChannelSecret {
  kind: ChatKind;
  url: string;
  secret: string | null;
}

/** The receiver's dedup key: opaque (a hash of golive's own key, which names the incident). */
export const chatMessageId = (idempotencyKey: string) => createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32);

/** Signature of the generic webhook: HMAC-SHA256 over "<timestamp>.<body>", hex, as `v1=<hex>`. */
export const webhookSignature = (secret: string, timestamp: string, body: string) =>
  `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/** DingTalk's robot signature: base64 HMAC-SHA256 of "<timestamp ms>\n<secret>", keyed by the secret. */
export const dingTalkSign = (secret: string, timestampMs: number) =>
  createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');

const md = (l: Line) => (typeof l === 'string' ? l : `[${l.label}](${l.href})`);

/** Keeps a text under a byte limit without cutting a character in two. */
function clip(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  let out = s.slice(0, maxBytes);
  while (Buffer.byteLength(out) > maxBytes - 3) out = out.slice(0, -1);
  return `${out}...`;
}

export function chatRequest(
  channel: ChatChannelSecret,
  message: MessageParts & { template: string },
  idempotencyKey: string,
  nowMs: number,
): ChatRequest {
  const id = chatMessageId(idempotencyKey);
  switch (channel.kind) {
    case 'webhook': {
      const body = JSON.stringify({
        id,
        template: message.template,
        subject: message.subject,
        text: message.lines.filter((l) => typeof l === 'string').join('\n'),
        links: message.lines.filter((l) => typeof l !== 'string'),
      });
      const timestamp = String(Math.floor(nowMs / 1000));
      return {
        url: channel.url,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': id,
          'x-golive-timestamp': timestamp,
          'x-golive-signature': webhookSignature(channel.secret ?? '', timestamp, body),
        },
        body,
      };
    }
    case 'wecom':
      // WeCom's markdown message: 4,096 bytes at most.
      return {
        url: channel.url,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          msgtype: 'markdown',
          markdown: { content: clip([`**${message.subject}**`, ...message.lines.map(md)].join('\n'), 4096) },
        }),
      };
    case 'dingtalk': {
      const url = new URL(channel.url);
      if (channel.secret) {
        url.searchParams.set('timestamp', String(nowMs));
        url.searchParams.set('sign', dingTalkSign(channel.secret, nowMs));
      }
      // A markdown line break is two spaces and a newline; DingTalk caps a message at 20,000 bytes.
      const text = clip([`#### ${message.subject}`, ...message.lines.map(md)].join('  \n'), 18_000);
      return {
        url: url.toString(),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'markdown', markdown: { title: clip(message.subject, 200), text } }),
      };
    }
  }
}

/**
 * What the receiver's answer means. The robots answer HTTP 200 with an `errcode`: 0 is sent; their
 * rate limits and "system busy" pass (WeCom 45009 and -1, DingTalk 130101 and -1); any other code
 * (a bad key, a keyword or signature the robot refuses) will not pass by retrying.
 */
export function chatOutcome(kind: ChatKind, status: number, body: string): 'sent' | 'retry' | 'refused' {
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  if (status < 200 || status >= 300) return 'refused';
  if (kind === 'webhook') return 'sent';
  let errcode: unknown;
  try {
    errcode = (JSON.parse(body) as { errcode?: unknown }).errcode;
  } catch {
    return 'retry';
  }
  if (errcode === 0) return 'sent';
  const passing = kind === 'wecom' ? [-1, 45009] : [-1, 130101];
  return passing.includes(Number(errcode)) ? 'retry' : 'refused';
}
