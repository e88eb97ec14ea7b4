/**
 * Which edges of a directed graph lie on a cycle (Tarjan's strongly connected components).
 *
 * An edge is on a cycle exactly when both ends are in the same component; a self-loop is one.
 * Iterative, so a long chain of stages cannot overflow the call stack.
 */
export interface IEdge {
  source: string;
  target: string;
}

export function edgeKey(e: IEdge): string {
  return `${e.source}->${e.target}`;
}

export function components(nodes: string[], edges: IEdge[]): Map<string, number> {
  const out = new Map<string, string[]>(nodes.map(n => [n, []]));
  for (const e of edges) {
    if (out.has(e.source) && out.has(e.target)) {
      out.get(e.source)!.push(e.target);
    }
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const component = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  let counter = 0;
  let found = 0;
  for (const root of nodes) {
    if (index.has(root)) {
      continue;
    }
    // Each frame: a node and how many of its successors have been visited.
    const frames: [string, number][] = [[root, 0]];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (frames.length) {
      const frame = frames[frames.length - 1];
      const [node, next] = frame;
      const succ = out.get(node)!;
      if (next < succ.length) {
        frame[1]++;
        const w = succ[next];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          frames.push([w, 0]);
        } else if (onStack.has(w)) {
          low.set(node, Math.min(low.get(node)!, index.get(w)!));
        }
        continue;
      }
      frames.pop();
      if (frames.length) {
        const parent = frames[frames.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(node)!));
      }
      if (low.get(node) === index.get(node)) {
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.set(w, found);
        } while (w !== node);
        found++;
      }
    }
  }
  return component;
}

/** Keys (`source->target`) of the edges that lie on a cycle. */
export function cycleEdges(nodes: string[], edges: IEdge[]): Set<string> {
  const component = components(nodes, edges);
  const cyclic = new Set<string>();
  for (const e of edges) {
    const a = component.get(e.source);
    if (a !== undefined && a === component.get(e.target)) {
      cyclic.add(edgeKey(e));
    }
  }
  return cyclic;
}
