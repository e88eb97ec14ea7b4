import { MergeView } from '@codemirror/merge';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { jupyterTheme } from '@jupyterlab/codemirror';
import * as React from 'react';

/** Both sides read-only, in JupyterLab's editor theme (so the dark themes apply). */
const READ_ONLY: Extension[] = [
  jupyterTheme,
  EditorView.editable.of(false),
  EditorState.readOnly.of(true),
  EditorView.lineWrapping
];

/**
 * Two versions of a cell side by side through CodeMirror's merge view (JupyterLab's own
 * editor): changed lines and the changed characters within them marked, long unchanged
 * runs collapsed.
 */
export function MergeDiff(props: {
  a: string;
  b: string;
  aLabel: string;
  bLabel: string;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    if (!host.current) {
      return;
    }
    const view = new MergeView({
      a: { doc: props.a, extensions: READ_ONLY },
      b: { doc: props.b, extensions: READ_ONLY },
      parent: host.current,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true
    });
    return () => view.destroy();
  }, [props.a, props.b]);
  return (
    <div className="jp-cellops-MergeDiff">
      <div className="jp-cellops-MergeDiff-labels" aria-hidden="true">
        <span>{props.aLabel}</span>
        <span>{props.bLabel}</span>
      </div>
      <div
        ref={host}
        className="jp-cellops-MergeDiff-view"
        role="region"
        aria-label={`${props.aLabel} → ${props.bLabel}`}
      />
    </div>
  );
}
