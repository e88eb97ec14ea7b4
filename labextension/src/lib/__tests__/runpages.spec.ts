import { mergeRuns, scrollToRow, visibleRows } from '../runpages';
import { prng } from './prng';

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

describe('visibleRows', () => {
  const random = prng(15);
  const views = Array.from({ length: 300 }, () => ({
    scrollTop: Math.floor(random() * 70_000) - 500,
    viewHeight: Math.floor(random() * 1200),
    listTop: Math.floor(random() * 80),
    count: Math.floor(random() * 1200),
    rowHeight: 20 + Math.floor(random() * 60),
    overscan: Math.floor(random() * 8)
  }));

  it('draws every row that overlaps the view, within the list', () => {
    for (const v of views) {
      const { first, last } = visibleRows(v);
      expect(0 <= first && first <= last && last <= v.count).toBe(true);
      for (let i = 0; i < v.count; i++) {
        const top = v.listTop + i * v.rowHeight - v.scrollTop;
        const inView = top + v.rowHeight > 0 && top < v.viewHeight;
        if (inView) {
          expect(i >= first && i < last).toBe(true);
        }
      }
    }
  });

  it('draws a bounded number of rows however long the list', () => {
    for (const v of views) {
      const { first, last } = visibleRows(v);
      expect(last - first).toBeLessThanOrEqual(
        Math.ceil(v.viewHeight / v.rowHeight) + 1 + 2 * v.overscan
      );
    }
  });

  it('brings a row into view by moving the pane the least', () => {
    for (const v of views.filter(w => w.count > 0 && w.viewHeight >= w.rowHeight)) {
      const index = Math.floor(random() * v.count);
      const scrollTop = scrollToRow(v, index);
      const top = v.listTop + index * v.rowHeight - scrollTop;
      expect(top).toBeGreaterThanOrEqual(0);
      expect(top + v.rowHeight).toBeLessThanOrEqual(v.viewHeight);
      const wasInView =
        v.listTop + index * v.rowHeight >= v.scrollTop &&
        v.listTop + (index + 1) * v.rowHeight <= v.scrollTop + v.viewHeight;
      expect(scrollTop === v.scrollTop).toBe(wasInView);
    }
  });
});
