import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CellopsApi } from './api';
import { IDiffLine, lineDiff } from './lib/diff';
import { IExecutionSummary } from './tokens';

export interface IHistoryViewProps {
  api: CellopsApi;
  path: string;
  cellId: string;
  /** Changes when the cell ran again: the list is fetched anew. */
  version: string;
  /**
   * The execution count of a run of this cell just seen finishing. Its record is committed by
   * the kernel's background writer, later on a loaded machine: the list is fetched again, with
   * backoff, until it holds that count.
   */
  awaitCount?: number | null;
  currentCode: () => string;
  onRestore: (code: string) => void;
  trans: TranslationBundle;
}

/** Waits (ms) between fetches for a record not committed yet: ~25 s in all, then it gives up. */
const AWAIT_DELAYS = [250, 500, 1000, 2000, 4000, 8000, 8000];

function when(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

function metricsText(metrics: Record<string, number | null>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}=${v === null ? '—' : Math.round(v * 10000) / 10000}`)
    .join(' ');
}

/**
 * Every recorded execution of the active cell: when, how long, status and metrics; the code of
 * any version diffed against the cell, and restored into it on request.
 */
export function HistoryView(props: IHistoryViewProps): JSX.Element {
  const { api, path, cellId, trans } = props;
  const [items, setItems] = React.useState<IExecutionSummary[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [diff, setDiff] = React.useState<{
    id: number;
    lines: IDiffLine[];
  } | null>(null);
  const awaitCount = props.awaitCount ?? null;
  React.useEffect(() => {
    let live = true;
    let timer = 0;
    setDiff(null);
    const fetch = (attempt: number) => {
      api
        .history(path, cellId)
        .then(h => {
          if (!live) {
            return;
          }
          setItems(h.executions);
          setError(null);
          const recorded = h.executions.some(
            e => e.execution_count === awaitCount
          );
          if (
            awaitCount !== null &&
            !recorded &&
            attempt < AWAIT_DELAYS.length
          ) {
            timer = window.setTimeout(
              () => fetch(attempt + 1),
              AWAIT_DELAYS[attempt]
            );
          }
        })
        .catch(e => live && setError((e as Error).message));
    };
    fetch(0);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [path, cellId, props.version, awaitCount]);

  const showDiff = async (id: number) => {
    if (diff?.id === id) {
      setDiff(null);
      return;
    }
    const { code } = await api.executionCode(id);
    setDiff({ id, lines: lineDiff(code, props.currentCode()) });
  };
  const restore = async (id: number) => {
    const { code } = await api.executionCode(id);
    props.onRestore(code);
    setDiff(null);
  };

  if (error) {
    return <div className="jp-cellops-Error">{error}</div>;
  }
  if (items === null) {
    return <div className="jp-cellops-Hint">{trans.__('Loading…')}</div>;
  }
  if (!items.length) {
    return (
      <div className="jp-cellops-Hint">
        {trans.__(
          'No recorded executions of this cell yet: run it and it shows here.'
        )}
      </div>
    );
  }
  return (
    <ul className="jp-cellops-History">
      {items.map(e => (
        <li
          key={e.id}
          className={`jp-cellops-Execution jp-mod-${e.status}`}
          data-execution={e.id}
          data-status={e.status}
        >
          <div className="jp-cellops-Execution-line">
            <span className="jp-cellops-Execution-count">
              [{e.execution_count ?? ' '}]
            </span>
            <span title={when(e.started)}>{when(e.started)}</span>
            <span>
              {e.duration === null ? '' : `${e.duration.toFixed(3)}s`}
            </span>
            <span className="jp-cellops-Execution-status">{e.status}</span>
          </div>
          {(e.run_id || Object.keys(e.metrics).length > 0) && (
            <div className="jp-cellops-Execution-meta">
              {e.run_id && `${trans.__('run')} ${e.run_id} `}
              {metricsText(e.metrics)}
            </div>
          )}
          {e.error_type && (
            <div className="jp-cellops-Execution-error">
              {e.error_type}: {e.error_message}
            </div>
          )}
          <div className="jp-cellops-Row">
            <button
              className="jp-cellops-Link jp-cellops-DiffButton"
              onClick={() => void showDiff(e.id)}
            >
              {diff?.id === e.id ? trans.__('hide diff') : trans.__('diff')}
            </button>
            <button
              className="jp-cellops-Link jp-cellops-RestoreButton"
              onClick={() => void restore(e.id)}
            >
              {trans.__('restore')}
            </button>
          </div>
          {diff?.id === e.id && (
            <pre className="jp-cellops-Diff">
              {diff.lines.map((l, i) => (
                <div
                  key={i}
                  className={`jp-cellops-Diff-${l.kind === '+' ? 'add' : l.kind === '-' ? 'del' : 'same'}`}
                >
                  {l.kind} {l.text}
                </div>
              ))}
            </pre>
          )}
        </li>
      ))}
    </ul>
  );
}
