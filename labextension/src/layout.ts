/**
 * Layered layout of the stage graph: each stage on the row after its deepest upstream stage,
 * so parallel stages sit side by side (what the reader must see at a glance).
 */

export interface ILayoutNode {
  name: string;
  x: number;
  y: number;
}

export interface ILayoutEdge {
  source: string;
  target: string;
  points: [number, number, number, number];
}

export interface ILayout {
  nodes: ILayoutNode[];
  edges: ILayoutEdge[];
  width: number;
  height: number;
}

export const NODE_W = 96;
export const NODE_H = 26;
const GAP_X = 16;
const GAP_Y = 30;
const PAD = 8;

export function layoutGraph(
  stages: string[],
  edges: { source: string; target: string }[]
): ILayout {
  const known = new Set(stages);
  const upstream = new Map<string, string[]>(stages.map(s => [s, []]));
  for (const e of edges) {
    if (known.has(e.source) && known.has(e.target)) {
      upstream.get(e.target)!.push(e.source);
    }
  }
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const cached = depth.get(name);
    if (cached !== undefined) {
      return cached;
    }
    if (visiting.has(name)) {
      return 0; // a cycle: the diagnostics report it; keep drawing
    }
    visiting.add(name);
    const d = Math.max(-1, ...upstream.get(name)!.map(depthOf)) + 1;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  const rows: string[][] = [];
  for (const name of stages) {
    const d = depthOf(name);
    (rows[d] ??= []).push(name);
  }
  const widest = Math.max(1, ...rows.map(r => (r ? r.length : 0)));
  const width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const pos = new Map<string, ILayoutNode>();
  rows.forEach((row, r) => {
    const rowWidth = row.length * NODE_W + (row.length - 1) * GAP_X;
    const x0 = (width - rowWidth) / 2;
    row.forEach((name, i) => {
      pos.set(name, {
        name,
        x: x0 + i * (NODE_W + GAP_X),
        y: PAD + r * (NODE_H + GAP_Y)
      });
    });
  });
  const laidEdges: ILayoutEdge[] = [];
  for (const e of edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    if (a && b) {
      laidEdges.push({
        source: e.source,
        target: e.target,
        points: [a.x + NODE_W / 2, a.y + NODE_H, b.x + NODE_W / 2, b.y]
      });
    }
  }
  const height = PAD * 2 + rows.length * NODE_H + (rows.length - 1) * GAP_Y;
  return {
    nodes: stages.map(s => pos.get(s)!),
    edges: laidEdges,
    width,
    height: Math.max(height, NODE_H + PAD * 2)
  };
}
