import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { ITagProblem } from '../lib/tagfix';

/**
 * The unknown tags of the active cell, each with "remove" and, where a known tag is near,
 * a one-click "use TAG".
 */
export function TagProblems(props: {
  problems: ITagProblem[];
  trans: TranslationBundle;
  onFix: (tag: string, fix: string | null) => void;
}): JSX.Element | null {
  const { problems, trans } = props;
  if (!problems.length) {
    return null;
  }
  return (
    <ul
      className="jp-cellops-TagProblems"
      aria-label={trans.__('Tag problems')}
    >
      {problems.map(p => (
        <li
          key={p.tag}
          className={`jp-cellops-TagProblem jp-mod-${p.severity}`}
          data-tag={p.tag}
        >
          <code>{p.tag}</code>
          <span className="jp-cellops-TagProblem-message">{p.message}</span>
          {p.fix && (
            <button
              className="jp-mod-styled jp-mod-accept jp-cellops-TagFix"
              onClick={() => props.onFix(p.tag, p.fix)}
            >
              {trans.__('use %1', p.fix)}
            </button>
          )}
          <button
            className="jp-mod-styled jp-cellops-TagRemove"
            aria-label={trans.__('remove tag %1', p.tag)}
            onClick={() => props.onFix(p.tag, null)}
          >
            {trans.__('remove')}
          </button>
        </li>
      ))}
    </ul>
  );
}
