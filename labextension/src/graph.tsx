import * as React from 'react';

import { labelColor } from './lib/colors';
import { edgePath, layoutGraph, NODE_H, NODE_W } from './lib/layout';
import { STATE_STYLES, StageLook } from './lib/runs';
import { IEdgeInfo } from './tokens';

export interface IStageGraphProps {
  stages: string[];
  edges: IEdgeInfo[];
  colors: Map<string, string>;
  /** Stage name -> its state in the run shown (the nodes then take the state's colour). */
  states?: Map<string, StageLook>;
  /** The states in words (translated by the caller). */
  stateWords?: Record<StageLook, string>;
  onSelect?: (stage: string) => void;
  /** Accessible name of the drawing (translated by the caller). */
  label: string;
  /** Said of an edge that lies on a cycle (translated by the caller). */
  cycleLabel: string;
}

function shortName(name: string): string {
  return name.length > 13 ? name.slice(0, 12) + '…' : name;
}

/**
 * The stage graph as SVG: one box per stage, arrows along data and `after:` edges.
 */
export function StageGraph(props: IStageGraphProps): JSX.Element {
  // The sidebar re-renders on every cell move and status poll; the layout costs tens of ms
  // on a big graph, so it is computed again only when the graph itself changed.
  const shape = JSON.stringify([
    props.stages,
    props.edges.map(e => [e.source, e.target])
  ]);
  const layout = React.useMemo(
    () => layoutGraph(props.stages, props.edges),
    [shape]
  );
  const edgeInfo = new Map(
    props.edges.map(e => [`${e.source}->${e.target}`, e])
  );
  return (
    <svg
      className="jp-cellops-Graph"
      width={layout.width}
      height={layout.height}
      viewBox={`0 0 ${layout.width} ${layout.height}`}
      role="group"
      aria-label={props.label}
    >
      <defs>
        <marker
          id="jp-cellops-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" className="jp-cellops-Graph-arrow" />
        </marker>
      </defs>
      {layout.edges.map(e => {
        const info = edgeInfo.get(`${e.source}->${e.target}`);
        const what = info?.names.length
          ? `${e.source} → ${e.target}: ${info.names.join(', ')}`
          : `${e.source} → ${e.target} (after:)`;
        return (
          <path
            key={`${e.source}->${e.target}`}
            className={
              'jp-cellops-Graph-edge' +
              (info?.explicit && !info.names.length ? ' jp-mod-explicit' : '') +
              (e.cyclic ? ' jp-mod-cycle' : '')
            }
            data-source={e.source}
            data-target={e.target}
            d={edgePath(e.points)}
            markerEnd="url(#jp-cellops-arrow)"
          >
            <title>{e.cyclic ? `${what} (${props.cycleLabel})` : what}</title>
          </path>
        );
      })}
      {layout.nodes.map(n => {
        const state = props.states?.get(n.name);
        const style = state ? STATE_STYLES[state] : null;
        const fill = props.colors.get(n.name) ?? '#888888';
        const said =
          state && props.stateWords
            ? `${n.name}: ${props.stateWords[state]}`
            : n.name;
        return (
          <g
            key={n.name}
            className={
              'jp-cellops-Graph-node' +
              (style ? ` jp-mod-${style.className}` : '')
            }
            data-stage={n.name}
            data-state={state}
            transform={`translate(${n.x}, ${n.y})`}
            role="button"
            tabIndex={0}
            aria-label={said}
            onClick={() => props.onSelect?.(n.name)}
            onKeyDown={event => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                props.onSelect?.(n.name);
              }
            }}
          >
            <title>{said}</title>
            <rect
              width={NODE_W}
              height={NODE_H}
              rx={5}
              // While a run is shown the state's colour (CSS) replaces the stage's own.
              style={style ? undefined : { fill }}
            />
            <text
              x={NODE_W / 2}
              y={NODE_H / 2 + 4}
              textAnchor="middle"
              style={style ? undefined : { fill: labelColor(fill) }}
            >
              {style
                ? `${style.symbol} ${shortName(n.name)}`
                : shortName(n.name)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
