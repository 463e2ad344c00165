/**
 * golive's inbound SMTP listener (smtp-server; bodies parsed by mailparser): it receives the
 * replies that check runbook tasks off. It only takes mail for `done+<reference>@<domain>`, reads
 * at most `maxBytes` of a message, and hands the rest to `onReply`, whose code becomes the answer:
 * 250 when checked off, 451 when the sender's system should try again later, 550 naming the code
 * otherwise (its system tells the sender, which is the auto-reply). Nothing a message holds can
 * crash it: a garbled one is answered `garbled`.
 */
import { simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { refFromAddress, type ReplyOutcome } from '../domain/reply-checkoff';
import type { Logger } from './logger';

export interface InboundReplyMail {
  recipients: string[];
  from: string | undefined;
  text: string;
}

export interface InboundSmtpOptions {
  host: string;
  port: number;
  domain: string;
  logger: Logger;
  onReply: (mail: InboundReplyMail) => Promise<ReplyOutcome>;
  /**
   * A reply is a line and the quoted notice (a few KB, tens with an HTML copy and a signature
   * image): 1 MB leaves room for that and refuses what is no reply.
   */
  maxBytes?: number;
}

export interface InboundSmtp {
  port: number;
  close(): Promise<void>;
}

const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

export function answerFor(outcome: ReplyOutcome): Error | null {
  if (outcome === 'checked-off') return null;
  if (outcome === 'try-later') return smtpError(451, '4.3.0 golive: try-later');
  if (outcome === 'too-large') return smtpError(552, '5.3.4 golive: too-large');
  return smtpError(550, `5.7.1 golive: ${outcome}`);
}

export async function startInboundSmtp(options: InboundSmtpOptions): Promise<InboundSmtp> {
  const maxBytes = options.maxBytes ?? 1_000_000;
  const { logger } = options;
  const refuse = (outcome: ReplyOutcome) => {
    logger.info({ event: 'reply-check-off', outcome }, 'check-off reply');
    return answerFor(outcome);
  };
  const server = new SMTPServer({
    name: options.domain,
    // Replies come from mail systems without an account here; the reference and the sender's
    // address on file are what is checked. TLS belongs to the relay in front of it.
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: maxBytes,
    // Replies trickle in, a few a minute on the night: a bound keeps a flood from taking the API's sockets.
    maxClients: 50,
    // A relay that opens a connection and goes quiet is let go well before the SMTP default of 60 s.
    socketTimeout: 30_000,
    logger: false,
    // A message to anything but a reference of this domain is refused at once, before its body.
    onRcptTo(address, _session, callback) {
      if (refFromAddress(address.address, options.domain)) callback();
      else callback(refuse('reply-ref-unknown') ?? undefined);
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= maxBytes) chunks.push(c);
      });
      stream.on('error', () => callback(refuse('garbled')));
      stream.on('end', () => {
        if (stream.sizeExceeded || size > maxBytes) {
          callback(refuse('too-large'));
          return;
        }
        const recipients = session.envelope.rcptTo.map((r) => r.address);
        simpleParser(Buffer.concat(chunks), { skipHtmlToText: false, skipImageLinks: true, skipTextToHtml: true })
          .then(
            async (mail) => {
              const text = mail.text ?? '';
              return options.onReply({ recipients, from: mail.from?.value[0]?.address, text });
            },
            (): ReplyOutcome => 'garbled',
          )
          .then(
            (outcome) => callback(outcome === 'garbled' ? refuse(outcome) : answerFor(outcome)),
            (err: unknown) => {
              // PostgreSQL away while the reply was handled: nothing decided, try again later.
              logger.warn({ event: 'reply-check-off', outcome: 'try-later', error: (err as Error).name }, 'check-off reply');
              callback(answerFor('try-later'));
            },
          );
      });
    },
  });
  server.on('error', (err) =>
    logger.warn({ event: 'inbound-smtp', error: (err as Error & { code?: string }).code ?? err.name }, 'inbound smtp'),
  );
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
