import { edgePath, layoutGraph, NODE_H, NODE_W } from '../layout';

const e = (source: string, target: string) => ({ source, target });

/** A small deterministic PRNG: the same random graphs on every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

function overlaps(
  a: { x: number; y: number },
  b: { x: number; y: number }
): boolean {
  return Math.abs(a.x - b.x) < NODE_W && Math.abs(a.y - b.y) < NODE_H;
}

describe('layoutGraph', () => {
  it('puts parallel stages side by side, below what they read', () => {
    const stages = ['load', 'features', 'forest', 'logreg', 'compare'];
    const layout = layoutGraph(stages, [
      e('load', 'features'),
      e('features', 'forest'),
      e('features', 'logreg'),
      e('forest', 'compare'),
      e('logreg', 'compare')
    ]);
    const at = new Map(layout.nodes.map(n => [n.name, n]));
    expect(layout.nodes.map(n => n.name)).toEqual(stages);
    expect(at.get('forest')!.y).toBe(at.get('logreg')!.y);
    expect(at.get('load')!.y).toBeLessThan(at.get('features')!.y);
    expect(at.get('forest')!.y).toBeLessThan(at.get('compare')!.y);
    expect(layout.edges.every(x => !x.cyclic)).toBe(true);
  });

  it('draws a cycle: every stage at its own finite place, its edges marked', () => {
    const layout = layoutGraph(
      ['a', 'b', 'c', 'd'],
      [e('a', 'b'), e('b', 'c'), e('c', 'a'), e('c', 'd')]
    );
    for (const n of layout.nodes) {
      expect(Number.isFinite(n.x) && Number.isFinite(n.y)).toBe(true);
    }
    const [a, b, c, d] = layout.nodes;
    for (const [p, q] of [
      [a, b],
      [a, c],
      [a, d],
      [b, c],
      [b, d],
      [c, d]
    ]) {
      expect(overlaps(p, q)).toBe(false);
    }
    expect(
      Object.fromEntries(
        layout.edges.map(x => [`${x.source}->${x.target}`, x.cyclic])
      )
    ).toEqual({ 'a->b': true, 'b->c': true, 'c->a': true, 'c->d': false });
    expect(Number.isFinite(layout.width)).toBe(true);
    expect(Number.isFinite(layout.height)).toBe(true);
  });

  it('has a finite size with no stage or one stage', () => {
    for (const stages of [[], ['only']]) {
      const layout = layoutGraph(stages, []);
      expect(layout.width).toBeGreaterThan(0);
      expect(layout.height).toBeGreaterThan(0);
    }
  });

  it('drops edges to stages it does not know', () => {
    const layout = layoutGraph(['a'], [e('a', 'ghost')]);
    expect(layout.edges).toEqual([]);
  });

  it('lays out random graphs, cycles included, inside its box and without NaN', () => {
    const random = prng(7);
    for (let round = 0; round < 60; round++) {
      const n = 1 + Math.floor(random() * 12);
      const names = Array.from({ length: n }, (_, i) => `s${i}`);
      const edges = [];
      for (let k = 0; k < n * 2; k++) {
        const s = names[Math.floor(random() * n)];
        const t = names[Math.floor(random() * n)];
        if (s !== t) {
          edges.push(e(s, t));
        }
      }
      const layout = layoutGraph(names, edges);
      expect(layout.nodes).toHaveLength(n);
      for (const node of layout.nodes) {
        expect(node.x).toBeGreaterThanOrEqual(0);
        expect(node.y).toBeGreaterThanOrEqual(0);
        expect(node.x + NODE_W).toBeLessThanOrEqual(layout.width + 0.001);
        expect(node.y + NODE_H).toBeLessThanOrEqual(layout.height + 0.001);
      }
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          expect(overlaps(layout.nodes[i], layout.nodes[j])).toBe(false);
        }
      }
      for (const edge of layout.edges) {
        expect(edgePath(edge.points)).not.toMatch(/NaN|undefined/);
      }
    }
  });
});

describe('edgePath', () => {
  it('is a straight line for two points and curves through a bend', () => {
    expect(
      edgePath([
        { x: 0, y: 0 },
        { x: 0, y: 10 }
      ])
    ).toBe('M 0 0 L 0 10');
    expect(
      edgePath([
        { x: 0, y: 0 },
        { x: 10, y: 10 },
        { x: 0, y: 20 }
      ])
    ).toBe('M 0 0 Q 10 10, 5 15 L 0 20');
  });

  it('is empty without points', () => {
    expect(edgePath([])).toBe('');
  });
});
