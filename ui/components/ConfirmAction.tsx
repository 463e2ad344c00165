import type { ComponentChildren } from 'preact';
import { useId, useRef, useState } from 'preact/hooks';
import { useWords } from '../i18n';
import { ErrorNote } from './ErrorNote';

export interface Field {
  name: string;
  label: string;
  kind?: 'text' | 'textarea' | 'number' | 'select' | 'checkboxes';
  required?: boolean;
  /** For select and checkboxes. */
  options?: { value: string; label: string }[];
  hint?: string;
  initial?: string;
  min?: number;
}

export type Values = Record<string, string | string[]>;

interface Props {
  /** The button's text. */
  label: string;
  /** The dialog's question, e.g. "Start wave 2?" */
  title: string;
  /** What will happen, in the hospital's words: the confirmation names its effect. */
  effect: ComponentChildren;
  fields?: Field[];
  confirmLabel?: string;
  danger?: boolean;
  /** Throws an ApiError to keep the dialog open with the server's reason. */
  run: (values: Values, idempotencyKey: string) => Promise<unknown>;
  onDone?: (result: unknown) => void;
  class?: string;
  /** data-testid of the button that opens the dialog. */
  testId?: string;
}

/**
 * Every action goes through a confirmation that names its effect. The dialog is modal (focus
 * stays inside, Escape cancels); the server's refusal is shown in it, fields kept.
 */
export function ConfirmAction(props: Props) {
  const { t } = useWords();
  // Field ids from the instance, not the label: labels in Chinese have no \w characters to tell dialogs apart.
  const base = useId();
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // One key per opening of the dialog: a double submit or a retry after a lost answer acts once.
  const key = useRef('');
  const open = () => {
    setError(undefined);
    key.current = crypto.randomUUID();
    dialog.current?.showModal();
  };
  const close = () => dialog.current?.close();
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const values: Values = {};
    for (const f of props.fields ?? []) {
      values[f.name] = f.kind === 'checkboxes' ? data.getAll(f.name).map(String) : String(data.get(f.name) ?? '');
    }
    setBusy(true);
    setError(undefined);
    try {
      const result = await props.run(values, key.current);
      close();
      form.reset();
      props.onDone?.(result);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const id = (name: string) => `f-${base}-${name}`;
  return (
    <>
      <button type="button" class={`${props.danger ? 'danger ' : ''}${props.class ?? ''}`} onClick={open} data-testid={props.testId}>
        {props.label}
      </button>
      <dialog ref={dialog} aria-label={props.title}>
        <article>
          <form onSubmit={(e) => void submit(e)}>
            <header>
              <h3>{props.title}</h3>
            </header>
            <div class="effect">{props.effect}</div>
            {(props.fields ?? []).map((f) => (
              <FieldInput key={f.name} field={f} id={id(f.name)} />
            ))}
            <ErrorNote error={error} />
            <footer>
              <button type="button" class="secondary" onClick={close} disabled={busy}>
                {t('ui.common.cancel')}
              </button>{' '}
              <button type="submit" class={props.danger ? 'danger' : ''} aria-busy={busy} disabled={busy}>
                {props.confirmLabel ?? props.label}
              </button>
            </footer>
          </form>
        </article>
      </dialog>
    </>
  );
}

function FieldInput({ field: f, id }: { field: Field; id: string }) {
  if (f.kind === 'checkboxes') {
    return (
      <fieldset>
        <legend>{f.label}</legend>
        {(f.options ?? []).map((o) => (
          <label key={o.value}>
            <input type="checkbox" name={f.name} value={o.value} /> {o.label}
          </label>
        ))}
        {f.hint ? <small>{f.hint}</small> : null}
      </fieldset>
    );
  }
  return (
    <label for={id}>
      {f.label}
      {f.kind === 'textarea' ? (
        <textarea id={id} name={f.name} required={f.required} rows={3} value={f.initial} />
      ) : f.kind === 'select' ? (
        <select id={id} name={f.name} required={f.required}>
          {(f.options ?? []).map((o) => (
            <option key={o.value} value={o.value} selected={o.value === f.initial}>
              {o.label}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={f.name}
          type={f.kind === 'number' ? 'number' : 'text'}
          min={f.min}
          required={f.required}
          value={f.initial}
          autocomplete="off"
        />
      )}
      {f.hint ? <small>{f.hint}</small> : null}
    </label>
  );
}
