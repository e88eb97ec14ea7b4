import {
  editDistance,
  replaceTag,
  suggestTag,
  tagProblems
} from '../tagfix';
import { IDiagnostic } from '../../tokens';

import { prng } from './prng';

const STAGES = ['load', 'train', 'evaluate'];

function diag(code: string, message: string, cellId = 'c1'): IDiagnostic {
  return {
    severity: 'error',
    code,
    message,
    cell_index: 0,
    cell_id: cellId,
    stage: null
  };
}

describe('suggestTag', () => {
  it.each([
    ['cpu4', 'cpu:4'],
    ['cpu=4', 'cpu:4'],
    ['memory-4Gi', 'memory:4Gi'],
    ['stage_train', 'stage:train'],
    ['stgae:train', 'stage:train'],
    ['memroy:4Gi', 'memory:4Gi'],
    ['cpus:2', 'cpu:2'],
    ['paramters', 'parameters'],
    ['Setup', 'setup'],
    ['setpu', 'setup'],
    ['after:trian', 'after:train'],
    ['prev:evalute', 'after:evaluate']
  ])('fixes %s to %s', (tag, fix) => {
    expect(suggestTag(tag, STAGES)).toBe(fix);
  });

  it.each([
    'hello',
    'cpu',
    'cpu:',
    'xyz:1',
    'after:deploy',
    'stgae:Not A Name'
  ])('proposes nothing for %s', tag => {
    expect(suggestTag(tag, STAGES)).toBeNull();
  });

  it('fixes one random typo in any known tag, and never proposes the tag itself', () => {
    const rand = prng(7);
    const known = ['parameters', 'setup', 'stage:train', 'memory:4Gi', 'timeout:30m'];
    for (let n = 0; n < 300; n++) {
      const tag = known[Math.floor(rand() * known.length)];
      const key = tag.split(':')[0];
      // Swap two neighbouring letters of the key: one typo.
      const i = Math.floor(rand() * (key.length - 1));
      const typo = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
      const broken = typo + tag.slice(key.length);
      if (broken !== tag) {
        expect(suggestTag(broken, STAGES)).toBe(tag);
      }
    }
  });

  it('turns an option key glued to its value into key:value for random values', () => {
    const rand = prng(11);
    for (let n = 0; n < 200; n++) {
      const key = ['cpu', 'gpu', 'retries', 'timeout', 'memory'][
        Math.floor(rand() * 5)
      ];
      const value = String(1 + Math.floor(rand() * 64));
      const sep = ['', '=', '-', '_'][Math.floor(rand() * 4)];
      expect(suggestTag(`${key}${sep}${value}`, STAGES)).toBe(
        `${key}:${value}`
      );
    }
  });
});

describe('editDistance', () => {
  it('is a distance: zero only for equal words, symmetric, one per swap', () => {
    const rand = prng(3);
    const word = () =>
      Array.from({ length: 1 + Math.floor(rand() * 7) }, () =>
        'abcs'.charAt(Math.floor(rand() * 4))
      ).join('');
    for (let n = 0; n < 300; n++) {
      const [a, b] = [word(), word()];
      expect(editDistance(a, b)).toBe(editDistance(b, a));
      expect(editDistance(a, b) === 0).toBe(a === b);
      expect(editDistance(a, b)).toBeLessThanOrEqual(
        Math.max(a.length, b.length)
      );
    }
    expect(editDistance('stgae', 'stage')).toBe(1);
  });
});

describe('tagProblems', () => {
  it('names the unknown tags of this cell only, with their fix', () => {
    const tags = ['cpu4', 'hide-input', 'after:trian', 'weird'];
    const problems = tagProblems(
      tags,
      'c1',
      [
        diag('unknown-tag', "unknown tag 'cpu4' (did you mean 'cpu'?); ..."),
        diag('unknown-after', 'after:trian names no stage; stages are: train'),
        diag('unknown-tag', "tag 'weird' is not a cellops tag and is ignored"),
        diag('unknown-tag', "unknown tag 'cpu4'", 'other-cell')
      ],
      STAGES
    );
    expect(problems.map(p => [p.tag, p.fix])).toEqual([
      ['cpu4', 'cpu:4'],
      ['after:trian', 'after:train'],
      ['weird', null]
    ]);
  });

  it('offers no fix into a tag the cell already has', () => {
    const problems = tagProblems(
      ['cpu4', 'cpu:4'],
      'c1',
      [diag('unknown-tag', "unknown tag 'cpu4'")],
      STAGES
    );
    expect(problems[0].fix).toBeNull();
  });
});

describe('replaceTag', () => {
  it('replaces in place or removes, other tags untouched, on random lists', () => {
    const rand = prng(5);
    const pool = ['a', 'b', 'cpu4', 'stage:x', 'hide-input'];
    for (let n = 0; n < 200; n++) {
      const tags = [...new Set(pool.filter(() => rand() < 0.6))];
      if (!tags.includes('cpu4')) {
        continue;
      }
      const fixed = replaceTag(tags, 'cpu4', 'cpu:4');
      expect(fixed.indexOf('cpu:4')).toBe(tags.indexOf('cpu4'));
      expect(fixed.filter(t => t !== 'cpu:4')).toEqual(
        tags.filter(t => t !== 'cpu4')
      );
      expect(replaceTag(tags, 'cpu4', null)).toEqual(
        tags.filter(t => t !== 'cpu4')
      );
    }
  });
});
