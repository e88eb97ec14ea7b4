import {
  currentFailure,
  formatDuration,
  formatParameters,
  formatStarted,
  isResumable,
  readableMessage,
  sortRuns,
  sourceCellIndex,
  stageCounts,
  stageLooks,
  STATE_STYLES
} from '../runs';

const run = (
  id: string,
  started: number,
  status = 'done',
  duration: number | null = 1
) => ({ id, started, status, duration, stages: [] });

describe('state styles', () => {
  it('give every state a distinct symbol and class, not only a colour', () => {
    const styles = Object.values(STATE_STYLES);
    expect(new Set(styles.map(s => s.symbol)).size).toBe(styles.length);
    expect(new Set(styles.map(s => s.className)).size).toBe(styles.length);
  });

  it('show a done stage from the cache as cached', () => {
    const looks = stageLooks({
      ...run('r', 1),
      stages: [
        { name: 'load', state: 'done', cache_hit: true },
        { name: 'train', state: 'done', cache_hit: false },
        { name: 'eval', state: 'running', cache_hit: false }
      ]
    });
    expect([...looks]).toEqual([
      ['load', 'cached'],
      ['train', 'done'],
      ['eval', 'running']
    ]);
  });

  it('counts done, cached and failed stages apart', () => {
    expect(
      stageCounts({
        ...run('r', 1),
        stages: [
          { name: 'a', state: 'done', cache_hit: true },
          { name: 'b', state: 'done', cache_hit: false },
          { name: 'c', state: 'failed', cache_hit: false },
          { name: 'd', state: 'not-run', cache_hit: false }
        ]
      })
    ).toEqual({ done: 1, cached: 1, failed: 1, total: 4 });
  });
});

describe('sortRuns', () => {
  const runs = [run('a', 10, 'done', 5), run('b', 30, 'running', null)];
  runs.push(run('c', 20, 'failed', 2));

  it('puts the newest first by default, without changing its input', () => {
    expect(sortRuns(runs).map(r => r.id)).toEqual(['b', 'c', 'a']);
    expect(runs.map(r => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('sorts by duration both ways, a running run (no duration) last', () => {
    expect(sortRuns(runs, 'duration', false).map(r => r.id)).toEqual([
      'c',
      'a',
      'b'
    ]);
    expect(sortRuns(runs, 'duration', true).map(r => r.id)).toEqual([
      'a',
      'c',
      'b'
    ]);
  });
});

describe('formatting', () => {
  it('formats durations for people', () => {
    expect(formatDuration(null)).toBe('');
    expect(formatDuration(0.4231)).toBe('0.42s');
    expect(formatDuration(12.34)).toBe('12.3s');
    expect(formatDuration(245)).toBe('4m 05s');
    expect(formatDuration(7260)).toBe('2h 01m');
  });

  it('drops the date of a run started today', () => {
    const now = new Date(2026, 11, 1, 12, 0, 0);
    const today = new Date(2026, 11, 1, 9, 5, 7).getTime() / 1000;
    const before = new Date(2026, 10, 30, 9, 5, 7).getTime() / 1000;
    expect(formatStarted(today, now)).toBe('09:05:07');
    expect(formatStarted(before, now)).toBe('2026-11-30 09:05:07');
  });

  it('lists parameters by name, quoting strings only when needed', () => {
    expect(formatParameters({ n: 3, C: 0.1, name: 'a b', mode: 'fast' })).toBe(
      'C=0.1, mode=fast, n=3, name="a b"'
    );
  });
});

describe('failures', () => {
  it('offers Resume only on the newest run, when it did not finish', () => {
    const old = run('old', 1, 'failed');
    const newest = run('new', 2, 'interrupted');
    const runs = [old, newest];
    expect(isResumable(newest, runs)).toBe(true);
    expect(isResumable(old, runs)).toBe(false);
    expect(isResumable(run('ok', 3, 'done'), [run('ok', 3, 'done')])).toBe(
      false
    );
  });

  it('forgets a failure once a later run succeeded', () => {
    const failed = run('f', 1, 'failed');
    expect(currentFailure([failed])).toBe(failed);
    expect(currentFailure([failed, run('ok', 2, 'done')])).toBeNull();
  });

  it('names paths from the root and drops the command-line advice', () => {
    const message = [
      "stage 'train' failed in cell 5 (id x-1) of nb.ipynb: ValueError: bad",
      '  executed notebook: /srv/root/pkg/.cellops/runs/r1/train.ipynb',
      'fix the notebook, promote again if needed, and continue with `cellops run /srv/root/pkg --resume`'
    ].join('\n');
    expect(readableMessage(message, '/srv/root/')).toBe(
      "stage 'train' failed in cell 5 (id x-1) of nb.ipynb: ValueError: bad\n" +
        '  executed notebook: pkg/.cellops/runs/r1/train.ipynb'
    );
  });

  it("reads the failing cell's index from the runner's label", () => {
    expect(sourceCellIndex('cell 5 (id abc-1)')).toBe(4);
    expect(sourceCellIndex("the generated cell 'x'")).toBeNull();
    expect(sourceCellIndex(null)).toBeNull();
  });
});
