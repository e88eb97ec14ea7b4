import {
  afterOf,
  optionsOf,
  roleOf,
  stageOf,
  STAGE_NAME,
  withAfter,
  withOption,
  withRole,
  withStage
} from '../tags';

import { prng } from './prng';

const POOL = [
  'stage:load',
  'step:train',
  'after:load',
  'prev:x',
  'setup',
  'skip',
  'parameters',
  'cpu:2',
  'memory:4Gi',
  'other-tool',
  'papermill-error-cell-tag'
];

describe('tag edits', () => {
  it('start a stage, replacing any stage tag of any dialect', () => {
    expect(withStage(['step:old', 'keep'], 'train')).toEqual([
      'keep',
      'stage:train'
    ]);
    expect(stageOf(withStage(['block:b'], null))).toBeNull();
  });

  it('give a cell one role, which also ends its stage start', () => {
    const tags = withRole(['stage:load', 'skip', 'x'], 'setup');
    expect(roleOf(tags)).toBe('setup');
    expect(stageOf(tags)).toBeNull();
    expect(tags).toContain('x');
  });

  it('set after: edges and options', () => {
    expect(afterOf(withAfter(['prev:a', 'k'], ['b', 'c']))).toEqual(['b', 'c']);
    expect(optionsOf(withOption(['cpu:1'], 'cpu', '4'))).toEqual({ cpu: '4' });
    expect(withOption(['cpu:1', 'k'], 'cpu', ' ')).toEqual(['k']);
  });

  it('never touch the tags of other tools, on random tag lists', () => {
    const random = prng(11);
    for (let round = 0; round < 200; round++) {
      const tags = POOL.filter(() => random() < 0.4);
      const foreign = tags.filter(t => t === 'other-tool' || t.startsWith('papermill'));
      const edits = [
        withStage(tags, 'report'),
        withStage(tags, null),
        withRole(tags, 'skip'),
        withRole(tags, null),
        withAfter(tags, ['load']),
        withOption(tags, 'memory', '1Gi')
      ];
      for (const edited of edits) {
        for (const t of foreign) {
          expect(edited).toContain(t);
        }
      }
      expect(stageOf(withStage(tags, 'report'))).toBe('report');
      expect(roleOf(withRole(tags, 'skip'))).toBe('skip');
    }
  });

  it('accept the stage names the backend accepts', () => {
    expect(STAGE_NAME.test('train_2')).toBe(true);
    expect(STAGE_NAME.test('Train')).toBe(false);
    expect(STAGE_NAME.test('2train')).toBe(false);
    expect(STAGE_NAME.test('a'.repeat(64))).toBe(false);
  });
});
