import * as React from 'react';

/** One point of a plot; `series` draws points of different executions in their own colour. */
export interface IPoint {
  x: number;
  y: number;
  label: string;
  series?: string;
}

export interface IPlotProps {
  points: IPoint[];
  xLabel: string;
  yLabel: string;
  /** Join the points in x order (a metric over steps or over executions). */
  connect?: boolean;
}

type VegaView = {
  width(w: number): VegaView;
  height(h: number): VegaView;
  runAsync(): Promise<unknown>;
  finalize(): void;
};

const MIN_HEIGHT = 160;

function isDark(): boolean {
  return document.body.dataset.jpThemeLight === 'false';
}

/** Whether JupyterLab's theme is dark now, following theme changes while the plot is open. */
function useDark(): boolean {
  const [dark, setDark] = React.useState(isDark);
  React.useEffect(() => {
    const watch = new MutationObserver(() => setDark(isDark()));
    watch.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-light']
    });
    return () => watch.disconnect();
  }, []);
  return dark;
}

/** The Vega-Lite spec of a scatter / line plot, zoomable (drag, wheel) with tooltips. */
export function plotSpec(
  props: IPlotProps,
  width: number,
  height: number
): Record<string, unknown> {
  const values = props.points.filter(
    p => Number.isFinite(p.x) && Number.isFinite(p.y)
  );
  const series = values.some(p => p.series !== undefined);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'transparent',
    data: { values },
    mark: {
      type: props.connect ? 'line' : 'point',
      point: props.connect ? { filled: true, size: 40 } : undefined,
      filled: props.connect ? undefined : true,
      size: props.connect ? undefined : 60,
      tooltip: true
    },
    params: [{ name: 'zoom', select: 'interval', bind: 'scales' }],
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: props.xLabel,
        scale: { zero: false }
      },
      y: {
        field: 'y',
        type: 'quantitative',
        title: props.yLabel,
        scale: { zero: false }
      },
      ...(series
        ? { color: { field: 'series', type: 'nominal', title: null } }
        : {}),
      ...(props.connect && series ? { detail: { field: 'series' } } : {}),
      tooltip: [
        { field: 'label', title: '' },
        { field: 'x', title: props.xLabel },
        { field: 'y', title: props.yLabel }
      ]
    }
  };
}

/**
 * A metric plotted through Vega-Lite (vega-embed loaded on first use, so the sidebar does not
 * pay for it), sized to its panel: a ResizeObserver follows the panel's width.
 */
export function VegaPlot(props: IPlotProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const view = React.useRef<VegaView | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const dark = useDark();
  const hasPoints = props.points.some(
    p => Number.isFinite(p.x) && Number.isFinite(p.y)
  );

  React.useEffect(() => {
    const node = host.current;
    if (!node || !hasPoints) {
      return;
    }
    let live = true;
    const size = () => ({
      w: Math.max(200, node.clientWidth),
      h: Math.max(MIN_HEIGHT, Math.min(node.clientWidth * 0.45, 420))
    });
    const { w, h } = size();
    void import('vega-embed')
      .then(({ default: embed }) =>
        embed(node, plotSpec(props, w, h), {
          actions: false,
          // SVG keeps small plots crisp and inspectable; thousands of points draw far
          // faster on a canvas.
          renderer: props.points.length > 1000 ? 'canvas' : 'svg',
          theme: dark ? 'dark' : undefined,
          tooltip: { theme: dark ? 'dark' : 'light' }
        })
      )
      .then(result => {
        if (!live) {
          result.finalize();
          return;
        }
        view.current = result.view as unknown as VegaView;
        setError(null);
      })
      .catch(e => live && setError(String(e)));
    const resize = new ResizeObserver(() => {
      const v = view.current;
      if (v) {
        const s = size();
        void v.width(s.w).height(s.h).runAsync();
      }
    });
    resize.observe(node);
    return () => {
      live = false;
      resize.disconnect();
      view.current?.finalize();
      view.current = null;
    };
  }, [
    props.points,
    props.xLabel,
    props.yLabel,
    props.connect,
    hasPoints,
    dark
  ]);

  if (!hasPoints) {
    return <div className="jp-cellops-Hint">—</div>;
  }
  return (
    <>
      {error && <div className="jp-cellops-Error">{error}</div>}
      <div
        ref={host}
        className="jp-cellops-VegaPlot"
        role="figure"
        aria-label={`${props.yLabel} / ${props.xLabel}`}
      />
    </>
  );
}
