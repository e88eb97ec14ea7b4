import * as React from 'react';

import { IPlotProps, VegaPlot } from './components/VegaPlot';

export type { IPoint } from './components/VegaPlot';

/**
 * A metric against a parameter or over executions: the Vega-Lite plot, under the name and
 * props the sweep view calls it by.
 */
export function ScatterPlot(props: IPlotProps): JSX.Element {
  return <VegaPlot {...props} />;
}

/**
 * A select over plain string options (which metric to plot).
 */
export function Choice(props: {
  value: string;
  options: string[];
  onChange: (value: string) => void;
  label?: string;
}): JSX.Element {
  return (
    <select
      className="jp-mod-styled"
      aria-label={props.label}
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
