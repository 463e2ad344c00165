/**
 * Instant-messaging channels: the escalation ladder's second way to reach people, beside e-mail.
 * A channel is a webhook a hospital already runs: a generic signed JSON webhook (its own bridge to
 * whatever app it uses), or a WeCom (企业微信) / DingTalk (钉钉) group robot. A person may have
 * channels of their own; a rota may have its group chat, told whenever a ladder level names it.
 */
import { z } from 'zod';
import { Code, RotaName } from './escalation';
import { PersonId } from './people';

export const ChatKind = z.enum(['webhook', 'wecom', 'dingtalk']);
export type ChatKind = z.infer<typeof ChatKind>;

/** How the ladder reaches a person. */
export const AlertVia = z.enum(['email', 'chat', 'both']);
export type AlertVia = z.infer<typeof AlertVia>;

/** An http(s) URL without user:password in it: a robot's key lives in its query, a secret apart. */
const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
  .max(2000)
  // zod runs this even when the URL check failed (that issue does not abort): an unparsable URL is that check's to report.
  .refine((u) => !URL.canParse(u) || (!new URL(u).username && !new URL(u).password), {
    message: 'must not carry a user name or password (give a secret instead)',
    params: { rule: 'no-credentials-in-url' },
  });

const ChatChannelFields = z.strictObject({
  kind: ChatKind,
  url: WebhookUrl,
  /** The generic webhook's HMAC key, or a DingTalk robot's signing secret ("SEC..."); WeCom robots have none. */
  secret: z.string().min(16).max(200).optional(),
});

function secretRules(c: { kind: ChatKind; secret?: string | undefined }, ctx: z.RefinementCtx) {
  if (c.kind === 'webhook' && !c.secret)
    ctx.addIssue({
      code: 'custom',
      path: ['secret'],
      message: 'a generic webhook is signed: give its secret',
      params: { rule: 'webhook-needs-secret' },
    });
  if (c.kind === 'wecom' && c.secret)
    ctx.addIssue({
      code: 'custom',
      path: ['secret'],
      message: 'a WeCom robot takes no secret (its key is in the URL)',
      params: { rule: 'wecom-has-no-secret' },
    });
}

/** A channel as the API takes it (its id is in the path). */
export const ChatChannelBody = ChatChannelFields.superRefine(secretRules);
export const ChatChannelInput = ChatChannelFields.extend({ id: Code }).superRefine(secretRules);
export type ChatChannelInput = z.infer<typeof ChatChannelInput>;

/** Whose channel: a person's own, or a program rota's group chat. */
export const ChatChannelOwner = z.union([z.strictObject({ personId: PersonId }), z.strictObject({ programId: Code, rota: RotaName })]);
export type ChatChannelOwner = z.infer<typeof ChatChannelOwner>;

/** What the workflow carries of a channel: its id and kind; the URL and secret are read at send time. */
export interface ChatTarget {
  channelId: string;
  kind: ChatKind;
}
