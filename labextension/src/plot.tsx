import * as React from 'react';

export interface IPoint {
  x: number;
  y: number;
  label: string;
}

const W = 260;
const H = 150;
const PAD = { left: 40, right: 8, top: 8, bottom: 24 };

function ticks(lo: number, hi: number): number[] {
  if (lo === hi) {
    return [lo];
  }
  return [lo, (lo + hi) / 2, hi];
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0)
    ? v.toExponential(1)
    : String(Math.round(v * 1000) / 1000);
}

/**
 * A small scatter plot (a metric against a parameter or over executions), drawn as SVG.
 */
export function ScatterPlot(props: {
  points: IPoint[];
  xLabel: string;
  yLabel: string;
  connect?: boolean;
}): JSX.Element {
  const pts = props.points.filter(
    p => Number.isFinite(p.x) && Number.isFinite(p.y)
  );
  if (!pts.length) {
    return <div className="jp-cellops-Hint">—</div>;
  }
  const xs = pts.map(p => p.x);
  const ys = pts.map(p => p.y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) =>
    PAD.left +
    (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) =>
    H -
    PAD.bottom -
    (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const sorted = [...pts].sort((a, b) => a.x - b.x);
  return (
    <svg
      className="jp-cellops-Plot"
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      aria-label={`${props.yLabel} / ${props.xLabel}`}
    >
      <line
        className="jp-cellops-Plot-axis"
        x1={PAD.left}
        y1={H - PAD.bottom}
        x2={W - PAD.right}
        y2={H - PAD.bottom}
      />
      <line
        className="jp-cellops-Plot-axis"
        x1={PAD.left}
        y1={PAD.top}
        x2={PAD.left}
        y2={H - PAD.bottom}
      />
      {ticks(y0, y1).map(t => (
        <text
          key={`y${t}`}
          className="jp-cellops-Plot-tick"
          x={PAD.left - 3}
          y={sy(t) + 3}
          textAnchor="end"
        >
          {fmt(t)}
        </text>
      ))}
      {ticks(x0, x1).map(t => (
        <text
          key={`x${t}`}
          className="jp-cellops-Plot-tick"
          x={sx(t)}
          y={H - PAD.bottom + 12}
          textAnchor="middle"
        >
          {fmt(t)}
        </text>
      ))}
      <text
        className="jp-cellops-Plot-label"
        x={(W + PAD.left) / 2}
        y={H - 2}
        textAnchor="middle"
      >
        {props.xLabel}
      </text>
      {props.connect && (
        <polyline
          className="jp-cellops-Plot-line"
          points={sorted.map(p => `${sx(p.x)},${sy(p.y)}`).join(' ')}
        />
      )}
      {pts.map((p, i) => (
        <circle
          key={i}
          className="jp-cellops-Plot-point"
          cx={sx(p.x)}
          cy={sy(p.y)}
          r={3.5}
        >
          <title>{`${p.label}: ${props.yLabel} = ${p.y}`}</title>
        </circle>
      ))}
    </svg>
  );
}

/**
 * A select over plain string options (which metric to plot).
 */
export function Choice(props: {
  value: string;
  options: string[];
  onChange: (value: string) => void;
}): JSX.Element {
  return (
    <select
      className="jp-mod-styled"
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
    >
      {props.options.map(o => (
        <option key={o} value={o}>
          {o}
        </option>
      ))}
    </select>
  );
}
