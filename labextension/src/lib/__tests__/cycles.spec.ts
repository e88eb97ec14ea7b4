import { cycleEdges } from '../cycles';

const e = (source: string, target: string) => ({ source, target });

describe('cycleEdges', () => {
  it('finds none in a fan-out', () => {
    const edges = [e('load', 'a'), e('load', 'b'), e('a', 'c'), e('b', 'c')];
    expect(cycleEdges(['load', 'a', 'b', 'c'], edges).size).toBe(0);
  });

  it('marks exactly the edges of the cycle, not the ones leading out of it', () => {
    const edges = [e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'd')];
    expect([...cycleEdges(['a', 'b', 'c', 'd'], edges)].sort()).toEqual([
      'a->b',
      'b->c',
      'c->a'
    ]);
  });

  it('marks a self-loop and two separate cycles', () => {
    const edges = [e('a', 'a'), e('b', 'c'), e('c', 'b'), e('c', 'd')];
    expect([...cycleEdges(['a', 'b', 'c', 'd'], edges)].sort()).toEqual([
      'a->a',
      'b->c',
      'c->b'
    ]);
  });

  it('ignores edges to stages it does not know', () => {
    expect(cycleEdges(['a'], [e('a', 'ghost'), e('ghost', 'a')]).size).toBe(0);
  });

  it('walks a chain of thousands of stages without overflowing the stack', () => {
    const names = Array.from({ length: 20000 }, (_, i) => `s${i}`);
    const edges = names.slice(1).map((n, i) => e(names[i], n));
    edges.push(e(names[names.length - 1], names[0]));
    expect(cycleEdges(names, edges).size).toBe(names.length);
  });
});
