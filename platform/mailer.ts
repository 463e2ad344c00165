import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from './config';

export type Mailer = Transporter;

export function createMailer(config: Pick<Config, 'SMTP_HOST' | 'SMTP_PORT' | 'SMTP_SECURE' | 'SMTP_USER' | 'SMTP_PASSWORD'>): Mailer {
  return nodemailer.createTransport({
    host: config.SMTP_HOST,
    port: config.SMTP_PORT,
    secure: config.SMTP_SECURE,
    // STARTTLS whenever the server offers it; a local catcher that offers none still works.
    requireTLS: false,
    auth: config.SMTP_USER ? { user: config.SMTP_USER, pass: config.SMTP_PASSWORD ?? '' } : undefined,
    // Fail fast: the activity retries with backoff, a hung socket would only hide the outage.
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 10_000,
  });
}
