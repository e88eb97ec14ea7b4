import { gridText, parseValues } from '../sweeps';
import { prng } from './prng';

describe('gridText', () => {
  it('gives back the values each swept parameter took, each once, in run order', () => {
    const random = prng(7);
    for (let t = 0; t < 200; t++) {
      const names = ['C', 'depth', 'alpha'].slice(0, 1 + Math.floor(random() * 3));
      const pools = names.map(() =>
        Array.from({ length: 1 + Math.floor(random() * 5) }, () =>
          Math.round(random() * 1000) / 100
        )
      );
      const rows = Array.from({ length: Math.floor(random() * 12) }, (_, i) =>
        Object.fromEntries([
          ['run', i],
          ...names.map((n, k) => [
            n,
            pools[k][Math.floor(random() * pools[k].length)]
          ])
        ])
      );
      const text = gridText({ parameters: names, rows });
      names.forEach(n => {
        const expected = [...new Set(rows.map(r => r[n]))];
        expect(parseValues(text[n], 'float')).toEqual(expected);
      });
    }
  });

  it('leaves out what the form cannot hold (blank, a comma)', () => {
    const rows = [{ s: 'a,b' }, { s: null }, { s: ' x ' }, { s: 'x' }];
    expect(gridText({ parameters: ['s'], rows })).toEqual({ s: 'x' });
  });
});
