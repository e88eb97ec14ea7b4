import * as fs from 'fs';
import * as path from 'path';

import { CommandIDs } from '../commands';

/** Every `command` named anywhere in a JSON value. */
function commandsIn(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.flatMap(commandsIn);
  }
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) =>
      k === 'command' && typeof v === 'string' ? [v] : commandsIn(v)
    );
  }
  return [];
}

describe('command ids', () => {
  it('are unique and all in the cellops namespace', () => {
    const ids = Object.values(CommandIDs);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every(id => id.startsWith('cellops:'))).toBe(true);
  });

  it('cover every command the settings schema puts in a menu', () => {
    const schema = JSON.parse(
      fs.readFileSync(
        path.join(__dirname, '..', '..', '..', '..', 'schema', 'plugin.json'),
        'utf-8'
      )
    );
    const named = commandsIn(schema['jupyter.lab.menus']);
    expect(named.length).toBeGreaterThan(0);
    const known = new Set<string>(Object.values(CommandIDs));
    expect(named.filter(c => !known.has(c))).toEqual([]);
  });
});
