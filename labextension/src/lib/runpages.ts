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
