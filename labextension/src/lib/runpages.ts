/**
 * The runs view reads a package's runs a page at a time (`GET runs?limit=&before=`): what
 * the pages it loaded add up to.
 */
import { IRunLike, sortRuns } from './runs';

/** Runs per page: more than a tall list pane shows, few enough to answer in milliseconds. */
export const RUNS_PAGE = 50;

/**
 * The runs known once `fresh` statuses arrive: a fresh status replaces the one of the same id,
 * the runs of pages loaded earlier stay, and the list keeps its order (newest first).
 */
export function mergeRuns<T extends IRunLike>(
  known: readonly T[],
  fresh: readonly T[]
): T[] {
  const byId = new Map(known.map(r => [r.id, r]));
  for (const r of fresh) {
    byId.set(r.id, r);
  }
  return sortRuns([...byId.values()]);
}

/** Where a fixed-height list sits in the pane that scrolls it, and how far that is scrolled. */
export interface IListView {
  /** The pane's scroll offset (px). */
  scrollTop: number;
  /** The pane's visible height (px). */
  viewHeight: number;
  /** The list's top in the pane's scrolled content (px; headers above it). */
  listTop: number;
  count: number;
  rowHeight: number;
  /** Rows drawn beyond each edge of the view, so a short scroll shows no gap. */
  overscan: number;
}

/**
 * The rows to draw, `first` (inclusive) to `last` (exclusive): every row that overlaps the
 * view plus `overscan` each side, within the list.
 */
export function visibleRows(v: IListView): { first: number; last: number } {
  const top = v.scrollTop - v.listTop;
  const first = Math.floor(top / v.rowHeight) - v.overscan;
  const last = Math.ceil((top + v.viewHeight) / v.rowHeight) + v.overscan;
  const clamp = (n: number) => Math.max(0, Math.min(v.count, n));
  return { first: clamp(first), last: Math.max(clamp(first), clamp(last)) };
}

/** The scroll offset that brings row `index` fully into view, moving the pane the least. */
export function scrollToRow(v: IListView, index: number): number {
  const top = v.listTop + index * v.rowHeight;
  const bottom = top + v.rowHeight;
  if (top < v.scrollTop) {
    return top;
  }
  if (bottom > v.scrollTop + v.viewHeight) {
    return bottom - v.viewHeight;
  }
  return v.scrollTop;
}
