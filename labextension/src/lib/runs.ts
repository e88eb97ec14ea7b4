/**
 * Pure helpers of the runs view and the graph's live status: how a state looks (label,
 * symbol: never colour alone), counts, sorting and the text of a failure.
 */

/** The states a stage shows; `cached` is a done stage whose result came from the cache. */
export type StageLook =
  'pending' | 'running' | 'cached' | 'done' | 'failed' | 'not-run';

export interface IStateStyle {
  /** A glyph, so the state reads without colour too (high contrast, colour blindness). */
  symbol: string;
  /** CSS class suffix: `jp-mod-${className}`. */
  className: string;
}

export const STATE_STYLES: Record<StageLook, IStateStyle> = {
  pending: { symbol: '…', className: 'pending' },
  running: { symbol: '▶', className: 'running' },
  done: { symbol: '✓', className: 'done' },
  cached: { symbol: '↺', className: 'cached' },
  failed: { symbol: '✗', className: 'failed' },
  'not-run': { symbol: '–', className: 'not-run' }
};

/** The legend's order: the order a stage goes through. */
export const LEGEND_ORDER: StageLook[] = [
  'pending',
  'running',
  'done',
  'cached',
  'failed',
  'not-run'
];

export interface IStageLike {
  name: string;
  state: string;
  cache_hit: boolean;
}

export interface IRunLike {
  id: string;
  status: string;
  started: number;
  duration: number | null;
  stages: IStageLike[];
}

export function stageLook(stage: IStageLike): StageLook {
  if (stage.state === 'done' && stage.cache_hit) {
    return 'cached';
  }
  return stage.state in STATE_STYLES ? (stage.state as StageLook) : 'pending';
}

/** Stage name -> how it looks in this run (for the graph's nodes). */
export function stageLooks(run: IRunLike | null): Map<string, StageLook> {
  return new Map((run?.stages ?? []).map(s => [s.name, stageLook(s)]));
}

export interface IStageCounts {
  done: number;
  cached: number;
  failed: number;
  total: number;
}

export function stageCounts(run: IRunLike): IStageCounts {
  const counts = { done: 0, cached: 0, failed: 0, total: run.stages.length };
  for (const s of run.stages) {
    const look = stageLook(s);
    if (look === 'done' || look === 'cached' || look === 'failed') {
      counts[look]++;
    }
  }
  return counts;
}

export type RunSortKey = 'started' | 'duration' | 'status';

/**
 * Runs in the list's order; ties (and runs without a duration) keep the newest first, so
 * the order is the same on every poll.
 */
export function sortRuns<T extends IRunLike>(
  runs: readonly T[],
  key: RunSortKey = 'started',
  descending = true
): T[] {
  const sign = descending ? -1 : 1;
  const value = (r: T): number | string | null =>
    key === 'started' ? r.started : key === 'duration' ? r.duration : r.status;
  return [...runs].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va !== vb) {
      // A run without a value (still running: no duration) goes last either way.
      if (va === null) {
        return 1;
      }
      if (vb === null) {
        return -1;
      }
      return (va < vb ? -1 : 1) * sign;
    }
    return b.started - a.started || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  });
}

/** `0.42s`, `12.3s`, `4m 05s`, `2h 01m`; '' for none. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  if (seconds < 10) {
    return `${seconds.toFixed(2)}s`;
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)}s`;
  }
  const s = Math.round(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  }
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

/** A run's start (epoch seconds) as local `YYYY-MM-DD HH:MM:SS`, the date dropped for today. */
export function formatStarted(epoch: number, now: Date = new Date()): string {
  const d = new Date(epoch * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const day = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const today =
    d.getFullYear() === now.getFullYear() &&
    d.getMonth() === now.getMonth() &&
    d.getDate() === now.getDate();
  return today ? time : `${day} ${time}`;
}

/** `C=0.1, n=3` (strings JSON-quoted only when they would read as something else). */
export function formatParameters(params: Record<string, unknown>): string {
  return Object.keys(params)
    .sort()
    .map(k => `${k}=${formatValue(params[k])}`)
    .join(', ');
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') {
    return /^[\w.-]*$/.test(v) && v !== '' ? v : JSON.stringify(v);
  }
  return JSON.stringify(v) ?? String(v);
}

/**
 * Only the newest run can be resumed (`cellops run --resume` continues the latest record),
 * and only when it did not finish.
 */
export function isResumable(run: IRunLike, runs: readonly IRunLike[]): boolean {
  if (run.status !== 'failed' && run.status !== 'interrupted') {
    return false;
  }
  return runs.every(r => r === run || r.started <= run.started);
}

/**
 * The run whose failure still matters: the newest run, when it failed. Once a later run of
 * the package succeeded, the old failure is history and leaves the screen.
 */
export function currentFailure<T extends IRunLike>(runs: readonly T[]): T | null {
  const newest = sortRuns(runs)[0];
  return newest && newest.status === 'failed' ? newest : null;
}

// Tracebacks from kernels carry ANSI colour codes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/**
 * A runner's message as the user should read it: paths relative to the Jupyter root (the
 * server logs absolute ones), and without the command-line advice the Resume button replaces.
 */
export function readableMessage(message: string, serverRoot: string): string {
  const root = serverRoot.replace(/\/+$/, '');
  let text = stripAnsi(message);
  if (root) {
    text = text.split(root + '/').join('');
  }
  return text
    .split('\n')
    .filter(line => !/continue with `cellops run .*--resume`/.test(line))
    .join('\n')
    .trim();
}

/** `cell 5 (id abc-1)` (the runner's label of the failing cell) -> 0-based index 4, or null. */
export function sourceCellIndex(label: string | null): number | null {
  const found = label ? /^cell (\d+)\b/.exec(label) : null;
  return found ? Number(found[1]) - 1 : null;
}
