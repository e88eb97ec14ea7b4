import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CellopsApi } from './api';
import { StatusPoll } from './models/poll';
import { Choice, ScatterPlot } from './plot';
import { gridText, parseValues } from './lib/sweeps';
import { ParamFields } from './paramform';
import { IBatchStatus, IParameterInfo } from './tokens';

export interface ISweepViewProps {
  api: CellopsApi;
  pkg: string;
  parameters: IParameterInfo[];
  /** Runs of the sweep at once, and milliseconds between polls (user settings). */
  jobs: number;
  interval: number;
  trans: TranslationBundle;
}

function clock(seconds: number | null): string {
  if (seconds === null) {
    return '--:--';
  }
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function cell(value: unknown): string {
  if (typeof value === 'number') {
    return String(Math.round(value * 10000) / 10000);
  }
  return value === null || value === undefined ? '' : String(value);
}

/**
 * Launch a parameter sweep over the pipeline's typed parameters, watch it, see the results.
 */
export function SweepView(props: ISweepViewProps): JSX.Element {
  const { api, pkg, trans } = props;
  const [grid, setGrid] = React.useState<Record<string, string>>({});
  const [status, setStatus] = React.useState<IBatchStatus | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [metric, setMetric] = React.useState<string>('');
  const poll = React.useRef<StatusPoll<IBatchStatus> | null>(null);
  const batchId = React.useRef('');
  React.useEffect(() => {
    const p = new StatusPoll<IBatchStatus>({
      name: 'cellops:batch-status',
      interval: props.interval,
      fetch: () => api.batchStatus(pkg, batchId.current),
      onValue: next => {
        setStatus(next);
        setEarlier(list => list.map(b => (b.id === next.id ? next : b)));
        setError(null);
        return next.status === 'running';
      },
      onError: e => setError(e.message)
    });
    poll.current = p;
    return () => p.dispose();
  }, [api, pkg]);
  React.useEffect(() => {
    if (poll.current) {
      poll.current.interval = props.interval;
    }
  }, [props.interval]);
  const follow = (id: string) => {
    batchId.current = id;
    poll.current?.start();
  };
  // The package's sweeps so far (a reopened or restored view shows the newest again, and
  // follows it while it runs).
  const [earlier, setEarlier] = React.useState<IBatchStatus[]>([]);
  const started = React.useRef(false);
  const show = (batch: IBatchStatus) => {
    poll.current?.stop();
    setStatus(batch);
    setGrid(gridText(batch));
    if (batch.status === 'running') {
      follow(batch.id);
    }
  };
  React.useEffect(() => {
    let live = true;
    api.batches(pkg).then(
      list => {
        if (live) {
          // A sweep started meanwhile stays listed first.
          setEarlier(now => [
            ...now.filter(b => !list.batches.some(x => x.id === b.id)),
            ...list.batches
          ]);
          if (list.batches.length && !started.current) {
            show(list.batches[0]);
          }
        }
      },
      e => live && setError((e as Error).message)
    );
    return () => {
      live = false;
    };
  }, [api, pkg]);
  const start = async () => {
    const request: Record<string, unknown[]> = {};
    for (const p of props.parameters) {
      const values = parseValues(grid[p.name] ?? '', p.type);
      if (values.length) {
        request[p.name] = values;
      }
    }
    setError(null);
    started.current = true;
    try {
      const begun = await api.startBatch({
        package: pkg,
        grid: request,
        jobs: props.jobs
      });
      const first = await api.batchStatus(pkg, begun.id);
      setStatus(first);
      setEarlier(list => [first, ...list.filter(b => b.id !== first.id)]);
      if (first.status === 'running') {
        follow(begun.id);
      }
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const cancel = async () => {
    if (status) {
      poll.current?.stop();
      setStatus(await api.cancelBatch(pkg, status.id));
    }
  };

  const running = status?.status === 'running';
  const chosen = metric || status?.metrics[0] || '';
  const xParam = status?.parameters[0] ?? '';
  const pct =
    status && status.total
      ? (100 * (status.done + status.failed)) / status.total
      : 0;
  return (
    <div className="jp-cellops-Sweep">
      <div className="jp-cellops-Hint">
        {trans.__('Values to sweep, separated by commas (empty: the default).')}
      </div>
      <ParamFields
        parameters={props.parameters}
        values={grid}
        onChange={setGrid}
        kind="grid"
        prefill={false}
      />
      <div className="jp-cellops-Row">
        <button
          className="jp-mod-styled jp-mod-accept jp-cellops-SweepButton"
          disabled={running}
          onClick={() => void start()}
        >
          {trans.__('Start sweep')}
        </button>
        {running && (
          <button
            className="jp-mod-styled jp-mod-warn"
            onClick={() => void cancel()}
          >
            {trans.__('Cancel')}
          </button>
        )}
      </div>
      {earlier.length > 1 && (
        <label className="jp-cellops-Toggle">
          {trans.__('Sweep')}
          <select
            className="jp-mod-styled"
            data-sweep="chosen"
            value={status?.id ?? ''}
            onChange={e => {
              const chosen = earlier.find(b => b.id === e.target.value);
              if (chosen) {
                show(chosen);
              }
            }}
          >
            {earlier.map(b => (
              <option key={b.id} value={b.id}>
                {trans.__('%1 · %2 runs · %3', b.id, b.total, b.status)}
              </option>
            ))}
          </select>
        </label>
      )}
      {error && <div className="jp-cellops-Error">{error}</div>}
      {status && (
        <div
          className="jp-cellops-Batch"
          data-batch-id={status.id}
          data-status={status.status}
        >
          <div className="jp-cellops-Progress" title={`${Math.round(pct)}%`}>
            <div
              className="jp-cellops-Progress-bar"
              style={{ width: `${pct}%` }}
            />
          </div>
          <div className="jp-cellops-Hint">
            {trans.__(
              '%1: %2 of %3 runs done, %4 failed · %5 elapsed · ETA %6',
              status.status,
              status.done,
              status.total,
              status.failed,
              clock(status.elapsed),
              running ? clock(status.eta) : '0:00'
            )}
          </div>
          {status.message && (
            <div className="jp-cellops-Error">{status.message}</div>
          )}
          {status.rows.length > 0 && (
            <>
              <table className="jp-cellops-Table jp-cellops-BatchTable">
                <thead>
                  <tr>
                    {[
                      'run',
                      ...status.parameters,
                      ...status.metrics,
                      'status'
                    ].map(c => (
                      <th key={c}>{c}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {status.rows.map((r, i) => (
                    <tr
                      key={i}
                      data-status={String(r.status)}
                      title={String(r.error ?? '')}
                    >
                      {[
                        'run',
                        ...status.parameters,
                        ...status.metrics,
                        'status'
                      ].map(c => (
                        <td key={c}>{cell(r[c])}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
              {status.metrics.length > 0 && xParam && (
                <div className="jp-cellops-PlotBox">
                  <label className="jp-cellops-Toggle">
                    {trans.__('metric')}
                    <Choice
                      value={chosen}
                      options={status.metrics}
                      onChange={setMetric}
                      label={trans.__('metric')}
                    />
                  </label>
                  <ScatterPlot
                    xLabel={xParam}
                    yLabel={chosen}
                    connect
                    points={status.rows.map(r => ({
                      x: Number(r[xParam]),
                      y: Number(r[chosen]),
                      label: `run ${cell(r.run)}`
                    }))}
                  />
                </div>
              )}
            </>
          )}
        </div>
      )}
    </div>
  );
}
