import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  formatDuration,
  formatParameters,
  formatStarted,
  stageCounts
} from '../lib/runs';
import { IRunStatus } from '../tokens';
import { runStatusWord } from './StateLegend';

export interface IRunListProps {
  runs: readonly IRunStatus[];
  selected: string | null;
  /** Older runs are on the server: the list's end loads them when it comes into view. */
  hasMore: boolean;
  trans: TranslationBundle;
  onSelect: (id: string) => void;
  onMore: () => void;
}

/** The list pane's end is this close (px): time to load the next page. */
const NEAR_END = 400;

/**
 * Scroll-to-load for the pane that scrolls the list: the next page is asked for when the
 * user scrolls near the end, or at once while the loaded runs do not fill the pane.
 */
export function nearEnd(pane: HTMLElement): boolean {
  return pane.scrollTop + pane.clientHeight >= pane.scrollHeight - NEAR_END;
}

/**
 * The package's runs, newest first: status, start, duration, parameters and stage counts.
 * Arrow keys move between runs; Enter or a click shows one in the detail pane. Only the pages
 * loaded so far are drawn; the pane that scrolls the list loads the next (see `nearEnd`).
 */
export function RunList(props: IRunListProps): JSX.Element {
  const { trans } = props;
  const now = new Date();
  const onKey = (event: React.KeyboardEvent, index: number) => {
    const step =
      event.key === 'ArrowDown' ? 1 : event.key === 'ArrowUp' ? -1 : 0;
    const next = props.runs[index + step];
    if (step && next) {
      event.preventDefault();
      props.onSelect(next.id);
      const list = (event.currentTarget as HTMLElement).parentElement;
      (list?.children[index + step] as HTMLElement | undefined)?.focus();
    } else if (step === 1 && props.hasMore) {
      event.preventDefault();
      props.onMore(); // the next page, so the arrow keys reach the oldest run too
    }
  };
  if (!props.runs.length) {
    return (
      <div className="jp-cellops-Hint">
        {trans.__('No runs yet: run the pipeline from the cellops sidebar.')}
      </div>
    );
  }
  return (
    <>
      <ul
        className="jp-cellops-RunList"
        role="listbox"
        aria-label={trans.__('Runs')}
      >
        {props.runs.map((run, index) => {
          const counts = stageCounts(run);
          const chosen = run.id === props.selected;
          return (
            <li
              key={run.id}
              role="option"
              aria-selected={chosen}
              tabIndex={chosen ? 0 : -1}
              className={
                'jp-cellops-RunItem' + (chosen ? ' jp-mod-selected' : '')
              }
              data-run-id={run.id}
              data-status={run.status}
              onClick={() => props.onSelect(run.id)}
              onKeyDown={event => onKey(event, index)}
            >
              <span
                className={`jp-cellops-RunItem-status jp-mod-${run.status}`}
              >
                {runStatusWord(run.status, trans)}
              </span>
              <span className="jp-cellops-RunItem-started">
                {formatStarted(run.started, now)}
              </span>
              <span className="jp-cellops-RunItem-duration">
                {formatDuration(run.duration)}
              </span>
              <span className="jp-cellops-RunItem-counts">
                {trans.__(
                  '%1/%2 done · %3 cached · %4 failed',
                  counts.done + counts.cached,
                  counts.total,
                  counts.cached,
                  counts.failed
                )}
              </span>
              <span className="jp-cellops-RunItem-params">
                {formatParameters(run.parameters)}
              </span>
            </li>
          );
        })}
      </ul>
      {props.hasMore && (
        <button
          className="jp-mod-styled jp-cellops-LoadMoreRuns"
          onClick={() => props.onMore()}
        >
          {trans.__('Load older runs')}
        </button>
      )}
    </>
  );
}
