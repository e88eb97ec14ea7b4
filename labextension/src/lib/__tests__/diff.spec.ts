import { lineDiff } from '../diff';

describe('lineDiff', () => {
  it('keeps common lines and marks removed and added ones', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toEqual([
      { kind: ' ', text: 'a' },
      { kind: '-', text: 'b' },
      { kind: '+', text: 'x' },
      { kind: ' ', text: 'c' }
    ]);
  });

  it('rebuilds both sides from its lines', () => {
    const before = 'import os\nx = 1\ny = 2\nprint(x)';
    const after = 'x = 1\nz = 3\ny = 2\nprint(x, y)\n# done';
    const d = lineDiff(before, after);
    const side = (kind: string) =>
      d
        .filter(l => l.kind === ' ' || l.kind === kind)
        .map(l => l.text)
        .join('\n');
    expect(side('-')).toBe(before);
    expect(side('+')).toBe(after);
  });
});
