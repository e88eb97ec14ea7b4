/**
 * Fixes for tags the analysis does not know: the one-click "use cpu:4" of the Cell panel.
 *
 * The analysis decides what is unknown (its diagnostics name the tag); this only proposes
 * the tag the user most likely meant, or nothing when no tag is near enough.
 */
import { IDiagnostic } from '../tokens';
import { OPTION_KEYS, STAGE_NAME } from './tags';

/** Tags without a value, as tags.py PLAIN_TAGS. */
const PLAIN = ['parameters', 'setup', 'skip'];
/** Tags taking a value after `:`, as tags.py PREFIX_TAGS. */
const PREFIXES: string[] = ['stage', 'after', ...OPTION_KEYS];

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string alignment):
 * "stgae" is one typo from "stage". Tags are short, so the O(n*m) table is nothing.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The nearest word of `vocabulary` within a typo or two (at most a third of the word; case
 * does not count), else null. The word itself is not "near".
 */
export function nearest(word: string, vocabulary: string[]): string | null {
  const lower = word.toLowerCase();
  const limit = Math.min(2, Math.floor(Math.max(word.length, 3) / 3));
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const candidate of vocabulary) {
    if (candidate === word) {
      continue;
    }
    const d = editDistance(lower, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * The tag `tag` was most likely meant as, or null. `stages` are the notebook's stage names
 * (an `after:` naming no stage is fixed to the nearest one).
 */
export function suggestTag(tag: string, stages: string[]): string | null {
  const colon = tag.indexOf(':');
  if (colon < 0) {
    const plain = nearest(tag, PLAIN);
    if (plain) {
      return plain;
    }
    // "cpu4", "cpu=4", "memory-4Gi", "stage_train": a prefix tag without its colon.
    const lower = tag.toLowerCase();
    for (const key of PREFIXES) {
      if (lower.startsWith(key) && tag.length > key.length) {
        const value = tag.slice(key.length).replace(/^[=_\-\s]+/, '');
        if (value) {
          return `${key}:${value}`;
        }
      }
    }
    return null;
  }
  const key = tag.slice(0, colon).trim();
  const value = tag.slice(colon + 1).trim();
  if (!value) {
    return null;
  }
  if (key === 'after' || key === 'prev') {
    const stage = stages.includes(value) ? null : nearest(value, stages);
    return stage ? `after:${stage}` : null;
  }
  const fixedKey = PREFIXES.includes(key) ? null : nearest(key, PREFIXES);
  if (!fixedKey) {
    return null;
  }
  if (fixedKey === 'stage' && !STAGE_NAME.test(value)) {
    return null; // the name would be refused next: no one-click fix into another error
  }
  return `${fixedKey}:${value}`;
}

export interface ITagProblem {
  tag: string;
  message: string;
  severity: IDiagnostic['severity'];
  /** The tag to use instead, or null: only removing it is offered. */
  fix: string | null;
}

/**
 * The unknown tags among `tags` (a cell's), from the analysis' diagnostics of that cell,
 * each with its fix where one is near.
 */
export function tagProblems(
  tags: string[],
  cellId: string,
  diagnostics: IDiagnostic[],
  stages: string[]
): ITagProblem[] {
  const out: ITagProblem[] = [];
  for (const d of diagnostics) {
    if (d.cell_id !== cellId) {
      continue;
    }
    let tag: string | undefined;
    if (d.code === 'unknown-tag') {
      tag = tags.find(t => d.message.includes(`'${t}'`));
    } else if (d.code === 'unknown-after') {
      tag = tags.find(
        t =>
          (t.startsWith('after:') || t.startsWith('prev:')) &&
          d.message.startsWith(`after:${t.slice(t.indexOf(':') + 1)} `)
      );
    }
    if (tag !== undefined && !out.some(p => p.tag === tag)) {
      const fix = suggestTag(tag, stages);
      out.push({
        tag,
        message: d.message,
        severity: d.severity,
        fix: fix !== null && !tags.includes(fix) ? fix : null
      });
    }
  }
  return out;
}

/** `tags` with `tag` replaced by `fix` in place (null: removed). */
export function replaceTag(
  tags: string[],
  tag: string,
  fix: string | null
): string[] {
  return tags.flatMap(t => (t === tag ? (fix === null ? [] : [fix]) : [t]));
}
