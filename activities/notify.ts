import { ApplicationFailure } from '@temporalio/activity';
import type { MailMessage } from './mail/templates';
import type { SendEmailInput, SendEmailResult } from './mail/send';
import type { ResolvePeople } from '../app/people';

/**
 * A message as one person receives it: a runbook task's e-mail gets that person's own check-off
 * link here (the token is a credential, so it is issued per person, never in the workflow).
 */
export type PersonalMessage = (message: MailMessage, personId: string, idempotencyKey: string) => Promise<MailMessage>;

export interface NotifyPeopleInput {
  personIds: string[];
  message: MailMessage;
  /** Computed by the workflow; each person's e-mail is keyed `${keyPrefix}/${personId}`. */
  keyPrefix: string;
}

/**
 * One message to several people by person id (addresses come from the people table at send
 * time). Retried as a whole, it re-sends nobody: each send is idempotent on its own key.
 */
export function createNotifyActivities({
  resolvePeople,
  sendEmail,
  personal = async (message) => message,
}: {
  resolvePeople: ResolvePeople;
  sendEmail: (input: SendEmailInput) => Promise<SendEmailResult>;
  personal?: PersonalMessage;
}) {
  return {
    async notifyPeople({
      personIds,
      message,
      keyPrefix,
    }: NotifyPeopleInput): Promise<{ sent: number; noAddress: string[]; rejected: string[] }> {
      const ids = [...new Set(personIds)];
      const people = await resolvePeople(ids);
      const rejected: string[] = [];
      for (const person of people) {
        try {
          const idempotencyKey = `${keyPrefix}/${person.personId}`;
          await sendEmail({
            idempotencyKey,
            to: person.email,
            message: await personal(message, person.personId, idempotencyKey),
            locale: person.locale,
            personId: person.personId,
          });
        } catch (err) {
          // One address refused for good must not cost everyone after it their e-mail; a
          // passing failure (SMTP away) fails the whole activity, whose retry re-sends nobody.
          if (err instanceof ApplicationFailure && err.nonRetryable) rejected.push(person.personId);
          else throw err;
        }
      }
      const found = new Set(people.map((p) => p.personId));
      return { sent: people.length - rejected.length, noAddress: ids.filter((id) => !found.has(id)), rejected };
    },
  };
}
