import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  formatDuration,
  formatParameters,
  formatStarted,
  stageCounts
} from '../lib/runs';
import { scrollToRow, visibleRows } from '../lib/runpages';
import { IRunStatus } from '../tokens';
import { runStatusWord } from './StateLegend';

export interface IRunListProps {
  runs: readonly IRunStatus[];
  /** The element that scrolls the list (the list draws only the runs in its view). */
  pane: React.RefObject<HTMLElement>;
  selected: string | null;
  /** Older runs are on the server: the list's end loads them when it comes into view. */
  hasMore: boolean;
  trans: TranslationBundle;
  onSelect: (id: string) => void;
  onMore: () => void;
}

/** The list pane's end is this close (px): time to load the next page. */
const NEAR_END = 400;
/** The height of a run's row (px): `.jp-cellops-RunItem` in views.css. */
const ROW_HEIGHT = 62;
const OVERSCAN = 8;

/**
 * Scroll-to-load for the pane that scrolls the list: the next page is asked for when the
 * user scrolls near the end, or at once while the loaded runs do not fill the pane.
 */
export function nearEnd(pane: HTMLElement): boolean {
  return pane.scrollTop + pane.clientHeight >= pane.scrollHeight - NEAR_END;
}

/** How far the pane is scrolled and where the list sits in it, followed as it changes. */
function useListView(
  pane: React.RefObject<HTMLElement>,
  list: React.RefObject<HTMLElement>
): { scrollTop: number; viewHeight: number; listTop: number } {
  const [view, setView] = React.useState({
    scrollTop: 0,
    viewHeight: 1200,
    listTop: 0
  });
  React.useLayoutEffect(() => {
    const node = pane.current;
    if (!node) {
      return;
    }
    const measure = () => {
      const ul = list.current;
      const listTop = ul
        ? ul.getBoundingClientRect().top -
          node.getBoundingClientRect().top +
          node.scrollTop
        : 0;
      const next = {
        scrollTop: node.scrollTop,
        viewHeight: node.clientHeight,
        listTop
      };
      setView(v =>
        v.scrollTop === next.scrollTop &&
        v.viewHeight === next.viewHeight &&
        v.listTop === next.listTop
          ? v
          : next
      );
    };
    measure();
    node.addEventListener('scroll', measure, { passive: true });
    const resize = new ResizeObserver(measure);
    resize.observe(node);
    return () => {
      node.removeEventListener('scroll', measure);
      resize.disconnect();
    };
  }, [pane.current]);
  return view;
}

/**
 * The package's runs, newest first: status, start, duration, parameters and stage counts.
 * Arrow keys (Home, End) move between runs; Enter, Space or a click shows one in the detail
 * pane.
 * Only the runs in the pane's view are drawn, so a list of thousands scrolls as one of ten;
 * the pane loads the next page near the end (see `nearEnd`).
 */
export function RunList(props: IRunListProps): JSX.Element {
  const { trans, runs } = props;
  const now = new Date();
  const list = React.useRef<HTMLUListElement>(null);
  const view = useListView(props.pane, list);
  const geometry = {
    ...view,
    count: runs.length,
    rowHeight: ROW_HEIGHT,
    overscan: OVERSCAN
  };
  const { first, last } = visibleRows(geometry);
  // A run chosen by keyboard gets the focus once it is drawn.
  const [focusId, setFocusId] = React.useState<string | null>(null);
  React.useLayoutEffect(() => {
    if (focusId) {
      const item = list.current?.querySelector<HTMLElement>(
        `[data-run-id="${CSS.escape(focusId)}"]`
      );
      if (item) {
        item.focus();
        setFocusId(null);
      }
    }
  });
  const move = (index: number) => {
    const next = runs[index];
    const node = props.pane.current;
    if (!next) {
      return;
    }
    props.onSelect(next.id);
    if (node) {
      node.scrollTop = scrollToRow(
        { ...geometry, scrollTop: node.scrollTop },
        index
      );
    }
    setFocusId(next.id);
  };
  const onKey = (event: React.KeyboardEvent, index: number) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      props.onSelect(runs[index].id); // the run Tab reached, not yet chosen
      return;
    }
    const to: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      Home: 0,
      End: runs.length - 1
    };
    const target = to[event.key];
    if (target === undefined) {
      return;
    }
    event.preventDefault();
    if (runs[target]) {
      move(target);
    }
    if (target >= runs.length - 1 && props.hasMore) {
      props.onMore(); // the next page, so the keys reach the oldest run too
    }
  };
  if (!runs.length) {
    return (
      <div className="jp-cellops-Hint">
        {trans.__('No runs yet: run the pipeline from the cellops sidebar.')}
      </div>
    );
  }
  const drawn = runs.slice(first, last);
  // Tab reaches the list even while the selected run is scrolled out of the drawn rows.
  const tabStop = drawn.some(r => r.id === props.selected)
    ? props.selected
    : drawn[0]?.id;
  return (
    <>
      <ul
        ref={list}
        className="jp-cellops-RunList"
        role="listbox"
        aria-label={trans.__('Runs')}
        data-count={runs.length}
        style={{
          paddingTop: first * ROW_HEIGHT,
          paddingBottom: (runs.length - last) * ROW_HEIGHT
        }}
      >
        {drawn.map((run, k) => {
          const index = first + k;
          const counts = stageCounts(run);
          const chosen = run.id === props.selected;
          return (
            <li
              key={run.id}
              role="option"
              aria-selected={chosen}
              aria-posinset={index + 1}
              aria-setsize={props.hasMore ? -1 : runs.length}
              tabIndex={run.id === tabStop ? 0 : -1}
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
