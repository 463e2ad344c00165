import { useEffect, useState } from 'preact/hooks';
import { Link } from 'wouter-preact';
import { ApiError, get, post } from '../api';
import { Badge } from '../components/Badge';
import { ConfirmAction } from '../components/ConfirmAction';
import { ErrorNote } from '../components/ErrorNote';
import { nameOf, whatHappened } from '../components/incident';
import { FactsTable } from '../components/Table';
import { useWords } from '../i18n';
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

/** Who owns the incident already (GET /v1/incidents/{id}), with the names of the people it names. */
interface OwnedBy {
  ownerId: string | null;
  acknowledgedAt: string | null;
  names: Record<string, string>;
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
  const { t, when, list, locale } = useWords();
  const [link, setLink] = useState<AckLink>();
  const [error, setError] = useState<unknown>();
  const [owner, setOwner] = useState<Owner>();
  const [ownedBy, setOwnedBy] = useState<OwnedBy>();

  useEffect(() => {
    setLink(undefined);
    setError(undefined);
    get<AckLink>(`/v1/ack-links/${encodeURIComponent(token)}`).then(setLink, setError);
  }, [token]);

  // Already owned: say by whom (the link itself tells codes only).
  useEffect(() => {
    if (link?.status !== 'acknowledged') return;
    get<OwnedBy>(`/v1/incidents/${encodeURIComponent(link.incidentId)}`).then(setOwnedBy, () => undefined);
  }, [link]);

  const status = error instanceof ApiError ? error.status : 0;
  const gone = status === 410 || status === 404 || status === 400;
  return (
    <main class="container narrow ack-page">
      <h1>{t('ui.ack.title')}</h1>
      {owner && link ? (
        <article class="ack-result" data-testid="ack-result" role="status">
          <p>
            <strong>{t('ui.ack.done', { id: link.incidentId })}</strong>
          </p>
          <p>{t('ui.ack.doneText')}</p>
          <p>
            <Link href={`/incidents/${link.incidentId}`}>{t('ui.common.openIncident')}</Link>
          </p>
        </article>
      ) : gone ? (
        <article class="ack-gone" data-testid="ack-gone" role="status">
          <p>{status === 400 ? <strong>{t('ui.ack.notWhole')}</strong> : <strong>{t('ui.ack.gone')}</strong>}</p>
          <p>
            <Link href="/incidents">{t('ui.ack.seeIncidents')}</Link>
          </p>
        </article>
      ) : error ? (
        <ErrorNote error={error} />
      ) : !link ? (
        <p aria-busy="true">{t('ui.ack.reading')}</p>
      ) : (
        <article>
          <header>
            <p class="ack-what">
              <Badge state={link.severity} /> <strong>{whatHappened(link.condition, {}, locale)}</strong>
            </p>
          </header>
          <FactsTable
            rows={[
              [t('ui.ack.program'), link.programId],
              [t('ui.ack.departments'), link.departments.length ? list(link.departments) : t('ui.common.hospitalWide')],
              [
                t('ui.ack.status'),
                <>
                  <Badge state={link.status} label={t(`incident.state.${link.status}`)} />
                  {link.status === 'open' && link.level ? ` · ${t('ui.ack.escalationLevel', { level: link.level })}` : ''}
                </>,
              ],
              [
                t('ui.ack.incident'),
                <Link href={`/incidents/${link.incidentId}`}>
                  <code>{link.incidentId}</code>
                </Link>,
              ],
            ]}
          />
          {link.status === 'acknowledged' ? (
            <p role="status" data-testid="ack-owned">
              {ownedBy?.ownerId ? (
                <span title={ownedBy.ownerId}>
                  {t('ui.ack.ownedBy', { owner: nameOf(ownedBy, ownedBy.ownerId), time: when(ownedBy.acknowledgedAt) })}{' '}
                </span>
              ) : (
                <>{t('ui.ack.ownedBySomeone')} </>
              )}
              <Link href={`/incidents/${link.incidentId}`}>{t('ui.common.openIncident')}</Link>
            </p>
          ) : (
            <>
              <p>{t('ui.ack.signedInAs', { name: session.person.displayName, id: session.person.personId })}</p>
              <ConfirmAction
                testId="ack-confirm"
                label={t('ui.ack.button')}
                title={t('ui.ack.question')}
                effect={
                  <p>
                    <strong>{t('ui.ack.effect', { name: session.person.displayName })}</strong>
                  </p>
                }
                confirmLabel={t('ui.ack.confirm')}
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
