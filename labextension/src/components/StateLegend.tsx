import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { LEGEND_ORDER, STATE_STYLES, StageLook } from '../lib/runs';

/** The words of the stage states (said next to the colour, and to screen readers). */
export function stateWords(
  trans: TranslationBundle
): Record<StageLook, string> {
  return {
    pending: trans.__('queued'),
    running: trans.__('running'),
    done: trans.__('done'),
    cached: trans.__('cached'),
    failed: trans.__('failed'),
    'not-run': trans.__('not run')
  };
}

/** A run's status in words. */
export function runStatusWord(
  status: string,
  trans: TranslationBundle
): string {
  switch (status) {
    case 'running':
      return trans.__('running');
    case 'done':
      return trans.__('done');
    case 'failed':
      return trans.__('failed');
    case 'interrupted':
      return trans.__('cancelled');
    default:
      return status;
  }
}

/** A stage's state as a swatch, a symbol and a word: readable without colour. */
export function StateBadge(props: {
  look: StageLook;
  trans: TranslationBundle;
}): JSX.Element {
  const style = STATE_STYLES[props.look];
  return (
    <span
      className={`jp-cellops-StateBadge jp-mod-${style.className}`}
      data-state={props.look}
    >
      <span className="jp-cellops-StateBadge-symbol" aria-hidden="true">
        {style.symbol}
      </span>
      {stateWords(props.trans)[props.look]}
    </span>
  );
}

/** What the colours of the graph's nodes mean while a run is shown. */
export function StateLegend(props: {
  trans: TranslationBundle;
  looks?: StageLook[];
}): JSX.Element {
  return (
    <ul
      className="jp-cellops-Legend"
      aria-label={props.trans.__('Legend of the stage states')}
    >
      {(props.looks ?? LEGEND_ORDER).map(look => (
        <li key={look}>
          <StateBadge look={look} trans={props.trans} />
        </li>
      ))}
    </ul>
  );
}
