import { ApiError } from '../api';

/** What the server said, as it said it: the code, the message, and every field with its rule. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  return (
    <p role="alert" class="error-note">
      {e ? <strong>{e.status === 403 ? 'Refused' : e.status === 409 ? 'Not now' : 'Not done'}: </strong> : null}
      {e
        ? e.message
        : error instanceof Error && !(error instanceof TypeError) && error.message
          ? error.message
          : 'The server could not be reached; the page will try again.'}
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
