/**
 * The experiments table's pure parts: cell labels instead of raw ids, sorting with blanks
 * last, which rows are near-empty.
 */
import { IExperimentRow } from '../tokens';
import { roleOf, stageOf } from './tags';

/** A column of the table: a fixed field, `param:NAME` or `metric:NAME`. */
export function cellValue(row: IExperimentRow, column: string): unknown {
  if (column.startsWith('param:')) {
    return row.params[column.slice(6)];
  }
  if (column.startsWith('metric:')) {
    return row.metrics[column.slice(7)];
  }
  return (row as unknown as Record<string, unknown>)[column];
}

export function isBlank(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    v === '' ||
    (typeof v === 'number' && !Number.isFinite(v))
  );
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  const sa = typeof a === 'string' ? a : JSON.stringify(a);
  const sb = typeof b === 'string' ? b : JSON.stringify(b);
  return sa.localeCompare(sb, undefined, { numeric: true });
}

/**
 * Rows sorted by the value `of` each; blank values last whichever the direction (a metric an
 * execution did not log is not "smaller" than every value). Ties keep the newest first.
 */
export function sortRows<T extends IExperimentRow>(
  rows: T[],
  of: (row: T) => unknown,
  descending: boolean
): T[] {
  const keyed = rows.map(row => ({ row, value: of(row) }));
  keyed.sort((x, y) => {
    const blankX = isBlank(x.value);
    const blankY = isBlank(y.value);
    if (blankX || blankY) {
      return blankX === blankY ? y.row.id - x.row.id : blankX ? 1 : -1;
    }
    const c = compare(x.value, y.value);
    return (descending ? -c : c) || y.row.id - x.row.id;
  });
  return keyed.map(k => k.row);
}

/** How the table names a cell: its stage (or role) and its number, as JupyterLab shows it. */
export function cellLabels(
  cells: { id: string; tags: string[] }[]
): Map<string, string> {
  const out = new Map<string, string>();
  let stage: string | null = null;
  cells.forEach((cell, i) => {
    const role = roleOf(cell.tags);
    const own = stageOf(cell.tags);
    if (own) {
      stage = own;
    }
    const what = role ?? stage;
    out.set(cell.id, what ? `${what} · cell ${i + 1}` : `cell ${i + 1}`);
  });
  return out;
}

/** The label of a row's cell: its stage in a run, else the notebook's label, else a short id. */
export function rowLabel(
  row: IExperimentRow,
  labels: Map<string, string>
): string {
  const known = labels.get(row.cell_id);
  if (row.stage) {
    return known ? `${row.stage} · ${known.replace(/^.* · /, '')}` : row.stage;
  }
  return known ?? (row.cell_id ? `cell ${row.cell_id.slice(0, 8)}` : '');
}

/**
 * A near-empty row: an execution that logged no metric (imports, helper definitions, the
 * parameters cell). Folded away while other rows have metrics to compare.
 */
export function isNearEmpty(row: IExperimentRow): boolean {
  return Object.values(row.metrics).every(isBlank);
}
