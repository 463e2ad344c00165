import type { ComponentChildren, JSX } from 'preact';

/** One column of a Table: its header, and the cell it shows for a row. */
export interface Column<T> {
  header: ComponentChildren;
  cell: (row: T, index: number) => ComponentChildren;
  /** The column that names the row: its cells are `<th scope="row">`, so a screen reader reads them with each cell. */
  rowHeader?: boolean;
  /** Class of the column's cells (`nowrap`, `num`, ...). */
  class?: string;
}

interface TableProps<T> {
  columns: (Column<T> | false | null | undefined)[];
  rows: readonly T[];
  rowKey: (row: T, index: number) => string | number;
  /** Attributes of a row's `<tr>` (a class, a data-testid, a data-* state for the tests and styles). */
  rowProps?: (row: T, index: number) => JSX.HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | undefined>;
  /** What the table says when it has no row (absent: an empty body). */
  empty?: ComponentChildren;
  class?: string;
  caption?: ComponentChildren;
  testid?: string;
}

/**
 * The command center's tables and timelines: one header row of `<th scope="col">`, one row per
 * item with its naming cell as `<th scope="row">`. A column may be left out with `false` (one a
 * role does not see).
 */
export function Table<T>({ columns, rows, rowKey, rowProps, empty, class: className, caption, testid }: TableProps<T>) {
  const shown = columns.filter((c): c is Column<T> => Boolean(c));
  return (
    <table class={className} data-testid={testid}>
      {caption ? <caption>{caption}</caption> : null}
      <thead>
        <tr>
          {shown.map((c, i) => (
            <th scope="col" key={i}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && empty !== undefined ? (
          <tr>
            <td colSpan={shown.length}>{empty}</td>
          </tr>
        ) : null}
        {rows.map((row, n) => (
          <tr key={rowKey(row, n)} {...rowProps?.(row, n)}>
            {shown.map((c, i) =>
              c.rowHeader ? (
                <th scope="row" key={i} class={c.class}>
                  {c.cell(row, n)}
                </th>
              ) : (
                <td key={i} class={c.class}>
                  {c.cell(row, n)}
                </td>
              ),
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A record's facts as label and value, one per row. */
export function FactsTable({ rows, testid }: { rows: [label: ComponentChildren, value: ComponentChildren][]; testid?: string }) {
  return (
    <table class="compact facts" data-testid={testid}>
      <tbody>
        {rows.map(([label, value], i) => (
          <tr key={i}>
            <th scope="row">{label}</th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
