/**
 * The sweep form's text and the values it stands for: `0.01, 10` <-> [0.01, 10].
 */
import { IBatchStatus } from '../tokens';

/** A parameter value typed in a form -> the JSON value for a parameter of `type`. */
export function parseValue(text: string, type: string): unknown {
  if (type === 'int' || type === 'float') {
    const n = Number(text);
    return Number.isNaN(n) ? text : n;
  }
  if (type === 'bool') {
    return text === 'true' || text === 'True';
  }
  return text;
}

/** `1, 2, 3` -> typed values for a parameter of `type` (strings stay strings). */
export function parseValues(text: string, type: string): unknown[] {
  return text
    .split(',')
    .map(v => v.trim())
    .filter(v => v !== '')
    .map(v => parseValue(v, type));
}

/**
 * The form's fields that start `batch` again: each swept parameter's values, in the order
 * its runs took them, each once (a value with a comma cannot be typed in the form: left out).
 * A reopened sweep view shows what was swept.
 */
export function gridText(
  batch: Pick<IBatchStatus, 'parameters' | 'rows'>
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of batch.parameters) {
    const seen: string[] = [];
    for (const row of batch.rows) {
      const value = row[name];
      const text =
        value === null || value === undefined ? '' : String(value).trim();
      if (text !== '' && !text.includes(',') && !seen.includes(text)) {
        seen.push(text);
      }
    }
    out[name] = seen.join(', ');
  }
  return out;
}
