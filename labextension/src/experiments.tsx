import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CellopsApi } from './api';
import { Choice, ScatterPlot } from './plot';
import { ICompare, IExperimentRow, IExperiments } from './tokens';

type SortKey = { column: string; descending: boolean };

function value(row: IExperimentRow, column: string): unknown {
  if (column.startsWith('param:')) {
    return row.params[column.slice(6)];
  }
  if (column.startsWith('metric:')) {
    return row.metrics[column.slice(7)];
  }
  return (row as unknown as Record<string, unknown>)[column];
}

function show(v: unknown): string {
  if (typeof v === 'number') {
    return String(Math.round(v * 10000) / 10000);
  }
  return v === null || v === undefined ? '' : String(v);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return show(a).localeCompare(show(b));
}

function Table(props: {
  data: IExperiments;
  selected: number[];
  onSelect: (id: number) => void;
}): JSX.Element {
  const [sort, setSort] = React.useState<SortKey>({
    column: 'id',
    descending: true
  });
  const columns = [
    'id',
    'cell_id',
    'stage',
    'run_id',
    'status',
    'duration',
    ...props.data.params.map(p => `param:${p}`),
    ...props.data.metrics.map(m => `metric:${m}`)
  ];
  const rows = [...props.data.executions].sort((a, b) => {
    const c = compareValues(value(a, sort.column), value(b, sort.column));
    return sort.descending ? -c : c;
  });
  return (
    <table className="jp-cellops-Table jp-cellops-ExperimentsTable">
      <thead>
        <tr>
          <th />
          {columns.map(c => (
            <th
              key={c}
              data-column={c}
              className={sort.column === c ? 'jp-mod-sorted' : ''}
              onClick={() =>
                setSort({
                  column: c,
                  descending: sort.column === c ? !sort.descending : false
                })
              }
            >
              {c.replace(/^(param|metric):/, '')}
              {sort.column === c ? (sort.descending ? ' ▼' : ' ▲') : ''}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(r => (
          <tr key={r.id} data-execution={r.id} data-status={r.status}>
            <td>
              <input
                type="checkbox"
                checked={props.selected.includes(r.id)}
                onChange={() => props.onSelect(r.id)}
              />
            </td>
            {columns.map(c => (
              <td key={c}>{show(value(r, c))}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Comparison(props: {
  data: ICompare;
  trans: TranslationBundle;
}): JSX.Element {
  const { data, trans } = props;
  return (
    <div className="jp-cellops-Compare">
      <div className="jp-cellops-SubHeader">
        {trans.__('Execution %1 vs %2', data.a.id, data.b.id)}
        {data.same_code
          ? ` · ${trans.__('same code')}`
          : ` · ${trans.__('code differs')}`}
      </div>
      <table className="jp-cellops-Table">
        <thead>
          <tr>
            <th>{trans.__('differs')}</th>
            <th>{data.a.id}</th>
            <th>{data.b.id}</th>
            <th>{trans.__('Δ')}</th>
          </tr>
        </thead>
        <tbody>
          {data.params.map(p => (
            <tr key={`p${p.name}`} data-param={p.name}>
              <td>{p.name}</td>
              <td>{show(p.a)}</td>
              <td>{show(p.b)}</td>
              <td />
            </tr>
          ))}
          {data.metrics.map(m => (
            <tr key={`m${m.name}`} data-metric={m.name}>
              <td>{m.name}</td>
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
    </div>
  );
}

function ExperimentsPanel(props: {
  api: CellopsApi;
  path: string;
  trans: TranslationBundle;
}): JSX.Element {
  const { api, path, trans } = props;
  const [filters, setFilters] = React.useState({
    status: '',
    stage: '',
    run: ''
  });
  const [data, setData] = React.useState<IExperiments | null>(null);
  const [all, setAll] = React.useState<IExperiments | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [selected, setSelected] = React.useState<number[]>([]);
  const [comparison, setComparison] = React.useState<ICompare | null>(null);
  const [metric, setMetric] = React.useState('');
  const [x, setX] = React.useState('order');
  const [tick, setTick] = React.useState(0);
  React.useEffect(() => {
    api
      .experiments(path)
      .then(setAll)
      .catch(() => undefined);
  }, [path, tick]);
  React.useEffect(() => {
    api
      .experiments(path, filters)
      .then(d => (setData(d), setError(null)))
      .catch(e => setError((e as Error).message));
  }, [path, filters, tick]);

  const choices = (key: 'status' | 'stage' | 'run_id') =>
    [
      ...new Set((all?.executions ?? []).map(e => e[key]).filter(Boolean))
    ] as string[];
  const select = (id: number) => {
    const next = selected.includes(id)
      ? selected.filter(s => s !== id)
      : [...selected, id].slice(-2);
    setSelected(next);
    setComparison(null);
    if (next.length === 2) {
      api
        .compare(next[0], next[1])
        .then(setComparison)
        .catch(e => setError(e.message));
    }
  };
  const chosen = metric || data?.metrics[0] || '';
  const ordered = [...(data?.executions ?? [])].reverse();
  return (
    <div className="jp-cellops-Experiments">
      <div className="jp-cellops-Row">
        <strong>{path}</strong>
        <button className="jp-mod-styled" onClick={() => setTick(tick + 1)}>
          {trans.__('Refresh')}
        </button>
      </div>
      <div className="jp-cellops-Row">
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
              {choices(f === 'run' ? 'run_id' : f).map(v => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      {error && <div className="jp-cellops-Error">{error}</div>}
      {data && !data.executions.length && (
        <div className="jp-cellops-Hint">
          {trans.__(
            'No recorded executions: run cells of this notebook, or run its pipeline.'
          )}
        </div>
      )}
      {data && data.executions.length > 0 && (
        <>
          <div className="jp-cellops-Hint">
            {trans.__('Tick two executions to compare them.')}
          </div>
          <Table data={data} selected={selected} onSelect={select} />
          {comparison && <Comparison data={comparison} trans={trans} />}
          {data.metrics.length > 0 && (
            <div className="jp-cellops-PlotBox">
              <Choice
                value={chosen}
                options={data.metrics}
                onChange={setMetric}
              />
              {trans.__('against')}
              <select
                className="jp-mod-styled"
                value={x}
                onChange={e => setX(e.target.value)}
              >
                <option value="order">{trans.__('execution order')}</option>
                {data.params.map(p => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
              <ScatterPlot
                xLabel={x === 'order' ? trans.__('execution') : x}
                yLabel={chosen}
                connect={x === 'order'}
                points={ordered.map((e, i) => ({
                  x: x === 'order' ? i + 1 : Number(e.params[x]),
                  y: Number(e.metrics[chosen]),
                  label: `#${e.id}`
                }))}
              />
            </div>
          )}
        </>
      )}
    </div>
  );
}

/**
 * The experiments of one notebook in the main area: every recorded execution, filterable,
 * sortable, two compared side by side, a metric plotted.
 */
export class ExperimentsWidget extends ReactWidget {
  constructor(
    private readonly api: CellopsApi,
    readonly path: string,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-cellops-ExperimentsWidget');
  }

  protected render(): JSX.Element {
    return (
      <ExperimentsPanel api={this.api} path={this.path} trans={this.trans} />
    );
  }
}
