/**
 * E-mail templates. Inputs are typed so that only codes, counts and opaque references can
 * reach a message: there is no free-text field a caller could fill with patient data.
 */
import { z } from 'zod';

export const MailMessage = z.discriminatedUnion('template', [
  z.object({
    template: z.literal('test'),
    requestedBy: z.string().max(100),
    reference: z.string().max(200),
  }),
]);
export type MailMessage = z.infer<typeof MailMessage>;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function layout(subject: string, lines: string[]): RenderedMail {
  return {
    subject,
    text: lines.join('\n') + '\n\n-- golive\n',
    html: `<!doctype html><html><body style="font-family:sans-serif">${lines
      .map((l) => `<p>${escapeHtml(l)}</p>`)
      .join('')}<p style="color:#666">-- golive</p></body></html>`,
  };
}

export function renderMail(message: MailMessage, _links: { baseUrl: string }): RenderedMail {
  switch (message.template) {
    case 'test':
      return layout('[golive] Test notification', [
        'This is a test notification from golive.',
        `Requested by: ${message.requestedBy}`,
        `Reference: ${message.reference}`,
        'Nothing is expected of you: this message only proves that golive can reach you.',
      ]);
  }
}
