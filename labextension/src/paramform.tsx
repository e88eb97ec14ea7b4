import * as React from 'react';

import { parseValue } from './lib/sweeps';
import { IParameterInfo } from './tokens';

/** The form's fields -> the parameters of a run: only those that differ from the default. */
export function runParams(
  parameters: IParameterInfo[],
  values: Record<string, string>
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of parameters) {
    const text = values[p.name];
    if (text !== undefined && text !== String(p.default)) {
      params[p.name] = parseValue(text, p.type);
    }
  }
  return params;
}

/**
 * One labelled text field per pipeline parameter (the run form and the sweep's grid editor).
 *
 * `prefill` shows each default as the field's value (a run edits it); otherwise the default is
 * only the placeholder (a sweep leaves a parameter out when its field is empty).
 */
export function ParamFields(props: {
  parameters: IParameterInfo[];
  values: Record<string, string>;
  onChange: (values: Record<string, string>) => void;
  /** The `data-*` attribute naming each field, for tests and styling. */
  kind: 'param' | 'grid';
  prefill: boolean;
}): JSX.Element | null {
  if (!props.parameters.length) {
    return null;
  }
  return (
    <div className="jp-cellops-Params">
      {props.parameters.map(p => (
        <label key={p.name} className="jp-cellops-Option">
          <span title={p.type}>{p.name}</span>
          <input
            className="jp-mod-styled"
            {...{ [`data-${props.kind}`]: p.name }}
            placeholder={String(p.default)}
            value={
              props.values[p.name] ?? (props.prefill ? String(p.default) : '')
            }
            onChange={e =>
              props.onChange({ ...props.values, [p.name]: e.target.value })
            }
          />
        </label>
      ))}
    </div>
  );
}
