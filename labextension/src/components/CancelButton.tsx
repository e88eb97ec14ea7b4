import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

/**
 * Cancel a running job. The server answers once the kernels have stopped, which takes a
 * while: until then the button says Cancelling… and cannot be pressed twice.
 */
export function CancelButton(props: {
  cancelling: boolean;
  trans: TranslationBundle;
  onCancel: () => void;
}): JSX.Element {
  return (
    <button
      className="jp-mod-styled jp-mod-warn jp-cellops-CancelButton"
      disabled={props.cancelling}
      aria-busy={props.cancelling}
      onClick={props.onCancel}
    >
      {props.cancelling
        ? props.trans.__('Cancelling…')
        : props.trans.__('Cancel')}
    </button>
  );
}
