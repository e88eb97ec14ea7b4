import {
  cellLabels,
  isBlank,
  isNearEmpty,
  rowLabel,
  sortRows
} from '../experiments';
import { IExperimentRow } from '../../tokens';

import { prng } from './prng';

function row(
  id: number,
  metrics: Record<string, number | null> = {},
  extra: Partial<IExperimentRow> = {}
): IExperimentRow {
  return {
    id,
    execution_count: id,
    started: id,
    duration: 0.1,
    status: 'ok',
    error_type: null,
    error_message: null,
    run_id: null,
    stage: null,
    metrics,
    cell_id: `uuid-${id}`,
    ended: id,
    params: {},
    ...extra
  };
}

const acc = (r: IExperimentRow) => r.metrics.acc;

describe('sortRows', () => {
  it('puts blanks last in both directions, on random tables', () => {
    const rand = prng(13);
    for (let n = 0; n < 200; n++) {
      const rows = Array.from({ length: 1 + Math.floor(rand() * 12) }, (_, i) =>
        rand() < 0.35
          ? row(i, rand() < 0.5 ? {} : { acc: null })
          : row(i, { acc: Math.round(rand() * 100) / 100 })
      );
      for (const descending of [false, true]) {
        const sorted = sortRows(rows, acc, descending);
        const values = sorted.map(acc);
        const firstBlank = values.findIndex(isBlank);
        if (firstBlank >= 0) {
          expect(values.slice(firstBlank).every(isBlank)).toBe(true);
        }
        const filled = values.filter(v => !isBlank(v)) as number[];
        const expected = [...filled].sort((a, b) =>
          descending ? b - a : a - b
        );
        expect(filled).toEqual(expected);
        expect(sorted).toHaveLength(rows.length);
      }
    }
  });

  it('sorts strings with numbers in them naturally', () => {
    const rows = [
      row(1, {}, { run_id: 'run-10' }),
      row(2, {}, { run_id: 'run-9' })
    ];
    expect(sortRows(rows, r => r.run_id, false).map(r => r.id)).toEqual([
      2, 1
    ]);
  });
});

describe('cell labels', () => {
  const cells = [
    { id: 'a', tags: ['setup'] },
    { id: 'b', tags: ['parameters'] },
    { id: 'c', tags: ['stage:load'] },
    { id: 'd', tags: [] },
    { id: 'e', tags: ['stage:train'] }
  ];

  it('name a cell by its role or stage and number, not its uuid', () => {
    const labels = cellLabels(cells);
    expect([...labels.values()]).toEqual([
      'setup · cell 1',
      'parameters · cell 2',
      'load · cell 3',
      'load · cell 4',
      'train · cell 5'
    ]);
  });

  it('a run row shows its stage; an unknown cell a short id', () => {
    const labels = cellLabels(cells);
    expect(rowLabel(row(1, {}, { cell_id: 'd', stage: 'load' }), labels)).toBe(
      'load · cell 4'
    );
    expect(rowLabel(row(1, {}, { cell_id: 'd' }), labels)).toBe(
      'load · cell 4'
    );
    expect(
      rowLabel(row(1, {}, { cell_id: '0123456789abcdef' }), labels)
    ).toBe('cell 01234567');
  });
});

describe('near-empty rows', () => {
  it('are the executions that logged no metric', () => {
    expect(isNearEmpty(row(1))).toBe(true);
    expect(isNearEmpty(row(1, { acc: null }))).toBe(true);
    expect(isNearEmpty(row(1, { acc: 0 }))).toBe(false);
  });
});
