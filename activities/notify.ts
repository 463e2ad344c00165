import type { MailMessage } from './mail/templates';
import type { SendEmailInput, SendEmailResult } from './mail/send';
import type { ResolvePeople } from './incidents';

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
export function createNotifyActivities({ resolvePeople, sendEmail }: { resolvePeople: ResolvePeople; sendEmail: (input: SendEmailInput) => Promise<SendEmailResult> }) {
  return {
    async notifyPeople({ personIds, message, keyPrefix }: NotifyPeopleInput): Promise<{ sent: number; noAddress: string[] }> {
      const ids = [...new Set(personIds)];
      const people = await resolvePeople(ids);
      for (const person of people) await sendEmail({ idempotencyKey: `${keyPrefix}/${person.personId}`, to: person.email, message });
      const found = new Set(people.map((p) => p.personId));
      return { sent: people.length, noAddress: ids.filter((id) => !found.has(id)) };
    },
  };
}
