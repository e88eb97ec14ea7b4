/**
 * Layered layout of the stage graph by dagre: parallel stages sit side by side (what the
 * reader must see at a glance), and any graph gets drawn, cycles included; the edges on a
 * cycle are marked so the drawing shows where the problem is.
 */
import {
  EdgeLabel,
  Graph,
  GraphLabel,
  layout,
  NodeLabel
} from '@dagrejs/dagre';

import { cycleEdges, edgeKey, IEdge } from './cycles';

export interface IPoint {
  x: number;
  y: number;
}

/** `x`, `y`: the top-left corner, as SVG draws a rect. */
export interface ILayoutNode extends IPoint {
  name: string;
}

export interface ILayoutEdge extends IEdge {
  points: IPoint[];
  /** The edge lies on a cycle of the graph. */
  cyclic: boolean;
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

export function layoutGraph(stages: string[], edges: IEdge[]): ILayout {
  const names = [...new Set(stages)];
  const known = new Set(names);
  const kept = edges.filter(e => known.has(e.source) && known.has(e.target));
  if (!names.length) {
    return { nodes: [], edges: [], width: PAD * 2, height: NODE_H + PAD * 2 };
  }
  const g = new Graph<GraphLabel, NodeLabel, EdgeLabel>();
  g.setGraph({
    rankdir: 'TB',
    nodesep: GAP_X,
    ranksep: GAP_Y,
    marginx: PAD,
    marginy: PAD
  });
  g.setDefaultEdgeLabel(() => ({}));
  for (const name of names) {
    g.setNode(name, { width: NODE_W, height: NODE_H });
  }
  for (const e of kept) {
    g.setEdge(e.source, e.target);
  }
  layout(g);
  const cyclic = cycleEdges(names, kept);
  const graph = g.graph();
  return {
    nodes: names.map(name => {
      const n = g.node(name);
      return { name, x: (n.x ?? 0) - NODE_W / 2, y: (n.y ?? 0) - NODE_H / 2 };
    }),
    edges: kept.map(e => ({
      source: e.source,
      target: e.target,
      points: (g.edge(e.source, e.target)?.points ?? []).map(p => ({
        x: p.x,
        y: p.y
      })),
      cyclic: cyclic.has(edgeKey(e))
    })),
    width: Math.max(graph.width ?? 0, NODE_W + PAD * 2),
    height: Math.max(graph.height ?? 0, NODE_H + PAD * 2)
  };
}

/** An SVG path through the edge's points: straight ends, smoothed through the bends. */
export function edgePath(points: IPoint[]): string {
  if (!points.length) {
    return '';
  }
  const [first, ...rest] = points;
  let d = `M ${first.x} ${first.y}`;
  for (let i = 0; i < rest.length; i++) {
    const p = rest[i];
    const next = rest[i + 1];
    d += next
      ? ` Q ${p.x} ${p.y}, ${(p.x + next.x) / 2} ${(p.y + next.y) / 2}`
      : ` L ${p.x} ${p.y}`;
  }
  return d;
}
