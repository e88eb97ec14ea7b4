import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ISignal } from '@lumino/signaling';

import { CellopsApi } from '../api';
import { awaitRecord } from '../models/poll';
import { cellValue, isNearEmpty, rowLabel, sortRows } from '../lib/experiments';
import { Choice } from '../plot';
import { ICompare, IExecution, IExperimentRow, IExperiments } from '../tokens';
import { ExperimentsGrid, IGridColumn } from './ExperimentsGrid';
import { IPoint, VegaPlot } from './VegaPlot';

function show(v: unknown): string {
  if (typeof v === 'number') {
    return String(Math.round(v * 10000) / 10000);
  }
  if (v === null || v === undefined) {
    return '';
  }
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function Comparison(props: {
  data: ICompare;
  labels: Map<string, string>;
  trans: TranslationBundle;
}): JSX.Element {
  const { data, trans } = props;
  const name = (r: IExperimentRow) => `#${r.id} ${rowLabel(r, props.labels)}`;
  return (
    <section className="jp-cellops-Compare" aria-label={trans.__('Comparison')}>
      <div className="jp-cellops-SubHeader">
        {trans.__('%1 vs %2', name(data.a), name(data.b))}
        {data.same_code
          ? ` · ${trans.__('same code')}`
          : ` · ${trans.__('code differs')}`}
      </div>
      <table className="jp-cellops-Table">
        <thead>
          <tr>
            <th scope="col">{trans.__('differs')}</th>
            <th scope="col">#{data.a.id}</th>
            <th scope="col">#{data.b.id}</th>
            <th scope="col">{trans.__('Δ')}</th>
          </tr>
        </thead>
        <tbody>
          {data.params.map(p => (
            <tr key={`p${p.name}`} data-param={p.name}>
              <th scope="row">{p.name}</th>
              <td>{show(p.a)}</td>
              <td>{show(p.b)}</td>
              <td />
            </tr>
          ))}
          {data.metrics.map(m => (
            <tr key={`m${m.name}`} data-metric={m.name}>
              <th scope="row">{m.name}</th>
              <td>{show(m.a)}</td>
              <td>{show(m.b)}</td>
              <td>
                {m.delta === null
                  ? ''
                  : (m.delta > 0 ? '+' : '') + show(m.delta)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!data.params.length && (
        <div className="jp-cellops-Hint">
          {trans.__('No parameter differs.')}
        </div>
      )}
    </section>
  );
}

/** Every value of `metric` the selected executions logged, by step: one series each. */
function useSteps(
  api: CellopsApi,
  ids: number[],
  metric: string,
  on: boolean
): IPoint[] {
  const [points, setPoints] = React.useState<IPoint[]>([]);
  React.useEffect(() => {
    if (!on || !ids.length) {
      setPoints([]);
      return;
    }
    let live = true;
    void Promise.all(ids.map(id => api.execution(id))).then(
      (found: IExecution[]) => {
        if (!live) {
          return;
        }
        setPoints(
          found.flatMap(e =>
            e.metrics
              .filter(m => m.name === metric && m.value !== null)
              .map((m, i) => ({
                x: m.step ?? i,
                y: m.value as number,
                label: `#${e.id}`,
                series: `#${e.id}`
              }))
          )
        );
      }
    );
    return () => {
      live = false;
    };
  }, [ids.join(','), metric, on]);
  return points;
}

const STEP = '\u0000step';
const ORDER = '\u0000order';

function ExperimentsPanel(props: {
  api: CellopsApi;
  path: string;
  labels: () => Map<string, string>;
  executed: ISignal<unknown, string>;
  trans: TranslationBundle;
}): JSX.Element {
  const { api, path, trans } = props;
  const [filters, setFilters] = React.useState({
    status: '',
    stage: '',
    run: ''
  });
  const [data, setData] = React.useState<IExperiments | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [selected, setSelected] = React.useState<number[]>([]);
  const [comparison, setComparison] = React.useState<ICompare | null>(null);
  const [showEmpty, setShowEmpty] = React.useState(false);
  const [sort, setSort] = React.useState({ key: 'id', descending: true });
  const [metric, setMetric] = React.useState('');
  const [x, setX] = React.useState(ORDER);
  const [tick, setTick] = React.useState(0);
  const newest = React.useRef(0);
  // A cell of this notebook ran: its record is stored a moment later, so fetch until a newer
  // execution is there (or the writer has had its time).
  const [awaited, setAwaited] = React.useState(0);
  const handled = React.useRef(0);
  React.useEffect(() => {
    const ran = (_: unknown, nb: string) => {
      if (nb === path) {
        setAwaited(n => n + 1);
      }
    };
    props.executed.connect(ran);
    return () => {
      props.executed.disconnect(ran);
    };
  }, [path]);
  React.useEffect(() => {
    const before = newest.current;
    // Only a new execution waits; a Refresh or another filter shows what is there.
    let waiting = awaited !== handled.current;
    handled.current = awaited;
    const poll = awaitRecord<IExperiments>({
      name: 'cellops:experiments',
      fetch: () => api.experiments(path, filters),
      pending: d => {
        const latest = d.executions[0]?.id ?? 0; // newest first
        const arrived = latest > before;
        if (arrived || !waiting) {
          newest.current = Math.max(newest.current, latest);
          setData(d);
          setError(null);
        }
        waiting = waiting && !arrived;
        return waiting;
      },
      onError: e => setError(e.message)
    });
    return () => poll.dispose();
  }, [path, filters, tick, awaited]);
  const labels = React.useMemo(props.labels, [data]);
  // The plot waits for the grid: embedding Vega-Lite with thousands of points takes longer
  // than the grid's first paint, and the table is what the user opened the view for.
  const [plotShown, setPlotShown] = React.useState(false);
  React.useEffect(() => {
    if (!data) {
      return;
    }
    let timer = 0;
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(() => setPlotShown(true), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      window.clearTimeout(timer);
    };
  }, [data]);

  const all = data?.executions ?? [];
  const full = all.filter(r => !isNearEmpty(r));
  // Fold the near-empty rows only while there are others to look at.
  const visible = showEmpty || !full.length ? all : full;
  const rows = React.useMemo(
    () =>
      sortRows(
        visible,
        sort.key === 'cell'
          ? r => rowLabel(r, labels)
          : r => cellValue(r, sort.key),
        sort.descending
      ),
    [data, showEmpty, sort, labels]
  );
  const columns: IGridColumn[] = React.useMemo(
    () => [
      { key: 'id', title: '#', text: r => String(r.id) },
      { key: 'cell', title: trans.__('cell'), text: r => rowLabel(r, labels) },
      { key: 'run_id', title: trans.__('run'), text: r => r.run_id ?? '' },
      { key: 'status', title: trans.__('status'), text: r => r.status },
      {
        key: 'duration',
        title: trans.__('duration (s)'),
        text: r => show(r.duration)
      },
      ...(data?.params ?? []).map(p => ({
        key: `param:${p}`,
        title: p,
        text: (r: IExperimentRow) => show(r.params[p])
      })),
      ...(data?.metrics ?? []).map(m => ({
        key: `metric:${m}`,
        title: m,
        text: (r: IExperimentRow) => show(r.metrics[m])
      }))
    ],
    [data, labels]
  );
  const select = (ids: number[]) => {
    setSelected(ids);
    setComparison(null);
    if (ids.length === 2) {
      api
        .compare(ids[0], ids[1])
        .then(setComparison)
        .catch(e => setError((e as Error).message));
    }
  };
  const sortBy = (key: string) =>
    setSort(s => ({
      key,
      descending: s.key === key ? !s.descending : key === 'id'
    }));
  const chosen = metric || data?.metrics[0] || '';
  const steps = useSteps(api, selected, chosen, x === STEP);
  // Memoised: a new array each render would re-embed the Vega view (seconds for 10,000
  // points) on every state change of the panel.
  const points: IPoint[] = React.useMemo(
    () =>
      x === STEP
        ? steps
        : [...visible]
            .sort((a, b) => a.id - b.id)
            .map((e, i) => ({
              x: x === ORDER ? i + 1 : Number(cellValue(e, `param:${x}`)),
              y: Number(e.metrics[chosen]),
              label: `#${e.id} ${rowLabel(e, labels)}`
            })),
    [data, showEmpty, x, chosen, steps, labels]
  );
  const choices = (key: 'status' | 'stage' | 'run_id') =>
    [...new Set(all.map(e => e[key]).filter(Boolean))] as string[];
  const hidden = all.length - visible.length;
  return (
    <div className="jp-cellops-Experiments">
      <div className="jp-cellops-Row">
        <strong>{path}</strong>
        <button className="jp-mod-styled" onClick={() => setTick(tick + 1)}>
          {trans.__('Refresh')}
        </button>
      </div>
      <div
        className="jp-cellops-Row"
        role="group"
        aria-label={trans.__('Filters')}
      >
        {(['status', 'stage', 'run'] as const).map(f => (
          <label key={f} className="jp-cellops-Toggle">
            {f}
            <select
              className="jp-mod-styled"
              data-filter={f}
              value={filters[f]}
              onChange={e => setFilters({ ...filters, [f]: e.target.value })}
            >
              <option value="">{trans.__('all')}</option>
              {[
                ...new Set([filters[f], ...choices(f === 'run' ? 'run_id' : f)])
              ]
                .filter(Boolean)
                .map(v => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
            </select>
          </label>
        ))}
        <label className="jp-cellops-Toggle">
          <input
            type="checkbox"
            data-filter="empty"
            checked={showEmpty}
            onChange={e => setShowEmpty(e.target.checked)}
          />
          {trans.__(
            'executions without metrics (%1)',
            all.length - full.length
          )}
        </label>
        <label className="jp-cellops-Toggle">
          {trans.__('sort by')}
          <select
            className="jp-mod-styled"
            data-sort="column"
            value={sort.key}
            onChange={e => setSort({ ...sort, key: e.target.value })}
          >
            {columns.map(c => (
              <option key={c.key} value={c.key}>
                {c.title}
              </option>
            ))}
          </select>
          <button
            className="jp-mod-styled"
            data-sort="direction"
            aria-label={
              sort.descending ? trans.__('descending') : trans.__('ascending')
            }
            onClick={() => setSort({ ...sort, descending: !sort.descending })}
          >
            {sort.descending ? '▼' : '▲'}
          </button>
        </label>
      </div>
      {error && <div className="jp-cellops-Error">{error}</div>}
      {data && !all.length && (
        <div className="jp-cellops-Hint">
          {trans.__(
            'No recorded executions: run cells of this notebook, or run its pipeline.'
          )}
        </div>
      )}
      {data && all.length > 0 && (
        <>
          <div className="jp-cellops-Hint" aria-live="polite">
            {trans.__(
              '%1 executions%2. Select two rows (Ctrl+click, or Shift+arrow keys) to compare them.',
              rows.length,
              hidden ? trans.__(' (%1 without metrics folded)', hidden) : ''
            )}
          </div>
          <ExperimentsGrid
            columns={columns}
            rows={rows}
            sortedBy={sort}
            label={trans.__('Executions of %1', path)}
            onSort={sortBy}
            onSelect={select}
          />
          {comparison && (
            <Comparison data={comparison} labels={labels} trans={trans} />
          )}
          {data.metrics.length > 0 && (
            <div className="jp-cellops-PlotBox">
              <div className="jp-cellops-Row">
                <Choice
                  value={chosen}
                  options={data.metrics}
                  onChange={setMetric}
                  label={trans.__('metric')}
                />
                {trans.__('against')}
                <select
                  className="jp-mod-styled"
                  data-plot="x"
                  aria-label={trans.__('plotted against')}
                  value={x}
                  onChange={e => setX(e.target.value)}
                >
                  <option value={ORDER}>{trans.__('execution order')}</option>
                  <option value={STEP}>
                    {trans.__('step (selected executions)')}
                  </option>
                  {data.params.map(p => (
                    <option key={p} value={p}>
                      {p}
                    </option>
                  ))}
                </select>
              </div>
              {!plotShown ? (
                <div className="jp-cellops-Hint">{trans.__('Plotting…')}</div>
              ) : x === STEP && !selected.length ? (
                <div className="jp-cellops-Hint">
                  {trans.__(
                    'Select executions in the table to plot their steps.'
                  )}
                </div>
              ) : (
                <VegaPlot
                  xLabel={
                    x === ORDER
                      ? trans.__('execution')
                      : x === STEP
                        ? trans.__('step')
                        : x
                  }
                  yLabel={chosen}
                  connect={x === ORDER || x === STEP}
                  points={points}
                />
              )}
            </div>
          )}
        </>
      )}
    </div>
  );
}

/**
 * The experiments of one notebook in the main area: every recorded execution in a virtualised
 * grid, filterable and sortable, two compared side by side, a metric plotted.
 */
export class ExperimentsWidget extends ReactWidget {
  constructor(
    private readonly api: CellopsApi,
    readonly path: string,
    private readonly trans: TranslationBundle,
    private readonly labels: () => Map<string, string>,
    private readonly executed: ISignal<unknown, string>
  ) {
    super();
    this.addClass('jp-cellops-ExperimentsWidget');
  }

  protected render(): JSX.Element {
    return (
      <ExperimentsPanel
        api={this.api}
        path={this.path}
        labels={this.labels}
        executed={this.executed}
        trans={this.trans}
      />
    );
  }
}
