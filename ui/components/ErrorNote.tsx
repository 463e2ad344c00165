import { ApiError } from '../api';
import { useWords } from '../i18n';

/** What the server said, as it said it (in the page's language): the code, the message, and every field with its rule. */
export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useWords();
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  return (
    <p role="alert" class="error-note">
      {e ? <strong>{t(e.status === 403 ? 'ui.error.refused' : e.status === 409 ? 'ui.error.notNow' : 'ui.error.notDone')}: </strong> : null}
      {e ? e.message : error instanceof Error && !(error instanceof TypeError) && error.message ? error.message : t('ui.error.unreachable')}
      {e && e.issues.length > 0 ? (
        <ul>
          {e.issues.map((i) => (
            <li key={i.path}>
              <code>{i.path}</code>: {i.message} <small>({i.rule})</small>
            </li>
          ))}
        </ul>
      ) : null}
    </p>
  );
}
