import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError, get, post } from '../api';
import { Badge, when } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { departmentsText, whatHappened } from '../components/incident';
import { FactsTable } from '../components/Table';
import { useSession } from '../session';

/** What GET /v1/ack-links/{token} tells: codes and opaque ids only. */
interface AckLink {
  incidentId: string;
  programId: string;
  departments: string[];
  severity: string;
  condition: string;
  status: 'open' | 'acknowledged' | 'resolved';
  level: number | null;
}

interface Owner {
  personId: string;
  displayName: string;
  acknowledgedAt: string;
}

/**
 * The page behind an e-mail's acknowledge link. Opening it changes nothing (mail scanners follow
 * links): the signed-in person acknowledges with one confirmed button, and the link is used up.
 */
export function AckPage({ token }: { token: string }) {
  const session = useSession();
  const [link, setLink] = useState<AckLink>();
  const [error, setError] = useState<unknown>();
  const [owner, setOwner] = useState<Owner>();
  const [ownedBy, setOwnedBy] = useState<{ ownerId: string | null; acknowledgedAt: string | null }>();

  useEffect(() => {
    setLink(undefined);
    setError(undefined);
    get<AckLink>(`/v1/ack-links/${encodeURIComponent(token)}`).then(setLink, setError);
  }, [token]);

  // Already owned: say by whom (the link itself tells codes only).
  useEffect(() => {
    if (link?.status !== 'acknowledged') return;
    get<{ ownerId: string | null; acknowledgedAt: string | null }>(`/v1/incidents/${encodeURIComponent(link.incidentId)}`).then(
      setOwnedBy,
      () => undefined,
    );
  }, [link]);

  const status = error instanceof ApiError ? error.status : 0;
  const gone = status === 410 || status === 404 || status === 400;
  return (
    <main class="container narrow ack-page">
      <h1>Acknowledge an incident</h1>
      {owner && link ? (
        <article class="ack-result" data-testid="ack-result" role="status">
          <p>
            <strong>
              Acknowledged: you own incident <code>{link.incidentId}</code>.
            </strong>
          </p>
          <p>The escalation has stopped; everyone told so far is e-mailed that you own it. Resolve it on its page when it is fixed.</p>
          <p>
            <Link href={`/incidents/${link.incidentId}`}>Open the incident</Link>
          </p>
        </article>
      ) : gone ? (
        <article class="ack-gone" data-testid="ack-gone" role="status">
          <p>
            {status === 400 ? (
              <strong>This address is not a whole acknowledge link: open the link from the e-mail again, or copy all of it.</strong>
            ) : (
              <>
                <strong>This acknowledge link can no longer be used:</strong> it was used already, it has expired, or its incident is
                resolved.
              </>
            )}
          </p>
          <p>
            <Link href="/incidents">See the incidents</Link> for who owns what now.
          </p>
        </article>
      ) : error ? (
        <ErrorNote error={error} />
      ) : !link ? (
        <p aria-busy="true">Reading the link…</p>
      ) : (
        <article>
          <header>
            <p class="ack-what">
              <Badge state={link.severity} label={link.severity.toUpperCase()} /> <strong>{whatHappened(link.condition)}</strong>
            </p>
          </header>
          <FactsTable
            rows={[
              ['Program', link.programId],
              ['Departments', departmentsText(link.departments)],
              [
                'Status',
                <>
                  <Badge state={link.status} />
                  {link.status === 'open' && link.level ? ` · escalation level ${link.level}` : ''}
                </>,
              ],
              [
                'Incident',
                <Link href={`/incidents/${link.incidentId}`}>
                  <code>{link.incidentId}</code>
                </Link>,
              ],
            ]}
          />
          {link.status === 'acknowledged' ? (
            <p role="status" data-testid="ack-owned">
              {ownedBy?.ownerId ? (
                <>
                  <strong>{ownedBy.ownerId}</strong> already owns this incident (since {when(ownedBy.acknowledgedAt)}): nothing to do
                  here.{' '}
                </>
              ) : (
                'Someone already owns this incident. '
              )}
              <Link href={`/incidents/${link.incidentId}`}>Open the incident</Link>
            </p>
          ) : (
            <>
              <p>
                Signed in as <strong>{session.person.displayName}</strong> ({session.person.personId}).
              </p>
              <ConfirmAction
                testId="ack-confirm"
                label="Acknowledge"
                title="Acknowledge this incident?"
                effect={
                  <p>
                    <strong>You become the owner and the escalation stops:</strong> nobody further up the ladder is e-mailed, and everyone
                    told so far is e-mailed that {session.person.displayName} owns it.
                  </p>
                }
                confirmLabel="Acknowledge: I own it"
                run={(_v, key) => post<Owner>(`/ack/${encodeURIComponent(token)}`, {}, key)}
                onDone={(result) => setOwner(result as Owner)}
              />
            </>
          )}
        </article>
      )}
    </main>
  );
}
