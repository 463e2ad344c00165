import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  raw: string;
  receivedAt: number;
}

/**
 * A real SMTP server in the test process (not a mock transport): nodemailer speaks the
 * whole protocol to it. `down(true)` answers 421 to every message, as a server in trouble does.
 */
export async function startTestSmtp() {
  const messages: ReceivedMail[] = [];
  const waiters: (() => void)[] = [];
  let refusing = false;
  let mailFromDelayMs = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // A slow server keeps a send in flight long enough for a test to kill the sender mid-way;
    // held before DATA, so a message whose sender died is never recorded (as with a real server).
    onMailFrom(_address, _session, callback) {
      if (mailFromDelayMs) setTimeout(() => callback(), mailFromDelayMs);
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refusing) {
          const err = Object.assign(new Error('service not available'), { responseCode: 421 });
          callback(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then((mail: ParsedMail) => {
          messages.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: mail.subject ?? '',
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : '',
            messageId: mail.messageId ?? '',
            raw,
            receivedAt: Date.now(),
          });
          waiters.splice(0).forEach((w) => w());
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    messages,
    down(value: boolean) {
      refusing = value;
    },
    /** Answers each MAIL FROM after `ms` (0: at once). */
    slow(ms: number) {
      mailFromDelayMs = ms;
    },
    /** Resolves when `predicate` holds for the messages received so far. */
    async waitFor(predicate: (m: ReceivedMail[]) => boolean, timeoutMs = 30_000): Promise<ReceivedMail[]> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(messages)) {
        if (Date.now() > deadline) throw new Error(`mail not received in ${timeoutMs} ms (have ${messages.length})`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
export type TestSmtp = Awaited<ReturnType<typeof startTestSmtp>>;
