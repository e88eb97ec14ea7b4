/**
 * Pure edits of a cell's `metadata.tags` in the cellops vocabulary (see design.md).
 *
 * Every function returns a new list and leaves tags of other tools untouched.
 */

export type Role = 'parameters' | 'setup' | 'skip';
export const ROLES: Role[] = ['parameters', 'setup', 'skip'];

export const OPTION_KEYS = [
  'cpu',
  'memory',
  'gpu',
  'retries',
  'timeout',
  'cache',
  'image'
] as const;
export type OptionKey = (typeof OPTION_KEYS)[number];

/** What the backend accepts as a stage name (tags.py STAGE_NAME). */
export const STAGE_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

const STAGE_PREFIXES = ['stage:', 'step:', 'block:'];

function prefixed(tags: string[], prefix: string): string[] {
  return tags
    .filter(t => t.startsWith(prefix))
    .map(t => t.slice(prefix.length));
}

export function stageOf(tags: string[]): string | null {
  for (const prefix of STAGE_PREFIXES) {
    const found = prefixed(tags, prefix);
    if (found.length) {
      return found[0];
    }
  }
  return null;
}

/** Start stage `name` at this cell, or (null) let the cell continue the stage above. */
export function withStage(tags: string[], name: string | null): string[] {
  const rest = tags.filter(t => !STAGE_PREFIXES.some(p => t.startsWith(p)));
  return name ? [...rest, `stage:${name}`] : rest;
}

export function afterOf(tags: string[]): string[] {
  return [...prefixed(tags, 'after:'), ...prefixed(tags, 'prev:')];
}

export function withAfter(tags: string[], names: string[]): string[] {
  const rest = tags.filter(
    t => !t.startsWith('after:') && !t.startsWith('prev:')
  );
  return [...rest, ...names.map(n => `after:${n}`)];
}

export function roleOf(tags: string[]): Role | null {
  return ROLES.find(r => tags.includes(r)) ?? null;
}

/** A cell has at most one role; setting one clears the others (and its stage start). */
export function withRole(tags: string[], role: Role | null): string[] {
  const rest = tags.filter(t => !(ROLES as string[]).includes(t));
  if (!role) {
    return rest;
  }
  return [...withStage(rest, null), role];
}

export function optionsOf(tags: string[]): Partial<Record<OptionKey, string>> {
  const out: Partial<Record<OptionKey, string>> = {};
  for (const key of OPTION_KEYS) {
    const found = prefixed(tags, `${key}:`);
    if (found.length) {
      out[key] = found[0];
    }
  }
  return out;
}

/** Set (or with an empty value, remove) one stage option tag such as `memory:4Gi`. */
export function withOption(
  tags: string[],
  key: OptionKey,
  value: string | null
): string[] {
  const rest = tags.filter(t => !t.startsWith(`${key}:`));
  const v = (value ?? '').trim();
  return v ? [...rest, `${key}:${v}`] : rest;
}
