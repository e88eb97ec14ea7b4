import { mergeRuns } from '../runpages';

const run = (id: string, started: number, status = 'done') => ({
  id,
  started,
  status,
  duration: 1,
  stages: []
});

describe('mergeRuns', () => {
  it('appends an older page after the runs already listed', () => {
    const newest = [run('c', 30), run('b', 20)];
    const older = [run('a', 10)];
    expect(mergeRuns(newest, older).map(r => r.id)).toEqual(['c', 'b', 'a']);
  });

  it('replaces a run by its fresh status and keeps the older pages', () => {
    const known = [run('c', 30, 'running'), run('b', 20), run('a', 10)];
    const merged = mergeRuns(known, [run('d', 40), run('c', 30, 'failed')]);
    expect(merged.map(r => [r.id, r.status])).toEqual([
      ['d', 'done'],
      ['c', 'failed'],
      ['b', 'done'],
      ['a', 'done']
    ]);
  });

  it('lists each run once whatever the overlap of the pages', () => {
    const ids = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => run(`r${from + i}`, from + i));
    for (let overlap = 0; overlap <= 5; overlap++) {
      const merged = mergeRuns(ids(10, 0), ids(10, 10 - overlap));
      expect(merged).toHaveLength(20 - overlap);
      expect(merged.map(r => r.started)).toEqual(
        [...merged.map(r => r.started)].sort((x, y) => y - x)
      );
    }
  });
});
