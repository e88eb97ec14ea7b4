import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CellopsApi } from '../api';
import { HistoryModel, IHistoryTarget } from '../models/history';
import { IKeptOutput, OutputArchive } from '../models/outputs';
import { awaitRecord } from '../models/poll';
import { IExecution, IExecutionSummary, IHistory } from '../tokens';
import { MergeDiff } from './MergeDiff';

/** The diff side that is the cell as it is now, not a recorded version. */
const NOW = -1;

function when(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

function show(v: unknown): string {
  if (typeof v === 'number') {
    return String(Math.round(v * 10000) / 10000);
  }
  return v === null || v === undefined ? '—' : JSON.stringify(v);
}

/** The versions of one cell, fetched again until an awaited record is there. */
function useVersions(
  api: CellopsApi,
  target: IHistoryTarget
): { items: IExecutionSummary[] | null; error: string | null } {
  const [items, setItems] = React.useState<IExecutionSummary[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const { path, cellId, version, awaitCount } = target;
  React.useEffect(() => {
    // The one polling helper of the views: it backs off while the server does not answer
    // and waits while the tab is hidden.
    const poll = awaitRecord<IHistory>({
      name: 'cellops:history',
      fetch: () => api.history(path, cellId),
      pending: h => {
        setItems(h.executions);
        setError(null);
        const recorded = h.executions.some(
          e => e.execution_count === awaitCount
        );
        return awaitCount !== null && !recorded;
      },
      onError: e => setError(e.message)
    });
    return () => poll.dispose();
  }, [path, cellId, version, awaitCount]);
  return { items, error };
}

/** Executions in full, fetched once each (a version's code and parameters never change). */
function useDetails(api: CellopsApi, ids: number[]): Map<number, IExecution> {
  const [details, setDetails] = React.useState(new Map<number, IExecution>());
  const key = ids.join(',');
  React.useEffect(() => {
    let live = true;
    const missing = ids.filter(id => id !== NOW && !details.has(id));
    void Promise.all(missing.map(id => api.execution(id))).then(found => {
      if (live && found.length) {
        setDetails(
          prev => new Map([...prev, ...found.map(f => [f.id, f] as const)])
        );
      }
    });
    return () => {
      live = false;
    };
  }, [key]);
  return details;
}

function Outputs(props: {
  outputs: IKeptOutput[] | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { outputs, trans } = props;
  if (outputs === null) {
    return (
      <div className="jp-cellops-Hint">
        {trans.__('Outputs were not seen by this browser.')}
      </div>
    );
  }
  if (!outputs.length) {
    return <div className="jp-cellops-Hint">{trans.__('No output.')}</div>;
  }
  return (
    <div className="jp-cellops-VersionOutputs">
      {outputs.map((o, i) =>
        o.type === 'image' ? (
          <img key={i} src={o.src} alt={trans.__('output image %1', i + 1)} />
        ) : (
          <pre
            key={i}
            className={o.type === 'error' ? 'jp-cellops-Error' : undefined}
          >
            {o.text}
          </pre>
        )
      )}
    </div>
  );
}

function KeyValues(props: {
  title: string;
  kind: 'metric' | 'param';
  entries: [string, unknown][];
}): JSX.Element | null {
  if (!props.entries.length) {
    return null;
  }
  return (
    <>
      <h3>{props.title}</h3>
      <table className="jp-cellops-Table" data-kind={props.kind}>
        <tbody>
          {props.entries.map(([k, v]) => (
            <tr key={k} {...{ [`data-${props.kind}`]: k }}>
              <th scope="row">{k}</th>
              <td>{show(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function VersionDetail(props: {
  summary: IExecutionSummary;
  detail: IExecution | undefined;
  outputs: IKeptOutput[] | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { summary, detail, trans } = props;
  return (
    <section
      className="jp-cellops-VersionDetail"
      aria-label={trans.__('Version %1', summary.execution_count ?? '')}
    >
      <h3>{trans.__('Code')}</h3>
      <pre className="jp-cellops-VersionCode">
        {detail?.code ?? trans.__('Loading…')}
      </pre>
      <h3>{trans.__('Outputs')}</h3>
      {summary.error_type && (
        <pre className="jp-cellops-Error">
          {summary.error_type}: {summary.error_message}
        </pre>
      )}
      <Outputs outputs={props.outputs} trans={trans} />
      <KeyValues
        title={trans.__('Metrics')}
        kind="metric"
        entries={Object.entries(summary.metrics)}
      />
      <KeyValues
        title={trans.__('Parameters')}
        kind="param"
        entries={Object.entries(detail?.params ?? {})}
      />
    </section>
  );
}

function CellHistory(props: {
  api: CellopsApi;
  model: HistoryModel;
  archive: OutputArchive;
  target: IHistoryTarget;
  trans: TranslationBundle;
}): JSX.Element {
  const { api, model, archive, target, trans } = props;
  const { items, error } = useVersions(api, target);
  const [shown, setShown] = React.useState<number | null>(null);
  const [sides, setSides] = React.useState<[number | null, number]>([
    null,
    NOW
  ]);
  React.useEffect(() => {
    setShown(null);
    setSides([null, NOW]);
  }, [target.path, target.cellId]);
  const newest = items?.[0]?.id ?? null;
  const current = shown ?? newest;
  const a = sides[0] ?? newest;
  const b = sides[1];
  const details = useDetails(
    api,
    [current, a, b].filter((x): x is number => x !== null)
  );

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
  const label = (id: number) => {
    if (id === NOW) {
      return trans.__('the cell now');
    }
    const e = items.find(i => i.id === id);
    return e ? `[${e.execution_count ?? ' '}] ${when(e.started)}` : `#${id}`;
  };
  const codeOf = (id: number | null) =>
    id === NOW
      ? model.code(target.panel, target.cellId)
      : id === null
        ? null
        : (details.get(id)?.code ?? null);
  const codeA = codeOf(a);
  const codeB = codeOf(b);
  const summary = items.find(i => i.id === current) ?? items[0];
  const restore = async (id: number) => {
    const code = details.get(id)?.code ?? (await api.executionCode(id)).code;
    model.restore(target.panel, target.cellId, code);
  };
  const sideSelect = (which: 0 | 1) => (
    <select
      className="jp-mod-styled"
      data-side={which === 0 ? 'a' : 'b'}
      aria-label={which === 0 ? trans.__('compare') : trans.__('with')}
      value={String(which === 0 ? a : b)}
      onChange={e => {
        const v = Number(e.target.value);
        setSides(which === 0 ? [v, b] : [a, v]);
      }}
    >
      <option value={String(NOW)}>{label(NOW)}</option>
      {items.map(e => (
        <option key={e.id} value={String(e.id)}>
          {label(e.id)}
        </option>
      ))}
    </select>
  );
  return (
    <div className="jp-cellops-HistoryLayout">
      <ul
        className="jp-cellops-Versions"
        role="list"
        aria-label={trans.__('Versions')}
      >
        {items.map(e => (
          <li
            key={e.id}
            role="listitem"
            className={`jp-cellops-Version jp-mod-${e.status}${e.id === summary.id ? ' jp-mod-selected' : ''}`}
            data-execution={e.id}
            data-status={e.status}
            aria-current={e.id === summary.id ? 'true' : undefined}
          >
            <button
              className="jp-cellops-Version-show"
              onClick={() => setShown(e.id)}
              aria-label={trans.__('Show version %1', label(e.id))}
            >
              <span className="jp-cellops-Execution-count">
                [{e.execution_count ?? ' '}]
              </span>
              <span>{when(e.started)}</span>
              <span className="jp-cellops-Execution-status">{e.status}</span>
              {e.stage && <span>{e.stage}</span>}
            </button>
            <div className="jp-cellops-Row">
              <button
                className="jp-cellops-Link jp-cellops-DiffButton"
                onClick={() => setSides([e.id, NOW])}
              >
                {trans.__('diff with the cell')}
              </button>
              <button
                className="jp-cellops-Link jp-cellops-RestoreButton"
                onClick={() => void restore(e.id)}
              >
                {trans.__('restore')}
              </button>
            </div>
          </li>
        ))}
      </ul>
      <div className="jp-cellops-HistoryMain">
        <VersionDetail
          summary={summary}
          detail={details.get(summary.id)}
          outputs={archive.find(
            target.path,
            target.cellId,
            summary.execution_count,
            summary.started + (summary.duration ?? 0)
          )}
          trans={trans}
        />
        <h3>{trans.__('Diff')}</h3>
        <div className="jp-cellops-Row jp-cellops-DiffSides">
          {sideSelect(0)}
          {trans.__('with')}
          {sideSelect(1)}
        </div>
        {codeA !== null && codeB !== null && a !== null ? (
          <MergeDiff a={codeA} b={codeB} aLabel={label(a)} bLabel={label(b)} />
        ) : (
          <div className="jp-cellops-Hint">{trans.__('Loading…')}</div>
        )}
      </div>
    </div>
  );
}

/**
 * The history of the active cell in the main area: every recorded version with its code,
 * outputs, metrics and parameters; any two versions (or one and the cell now) diffed in
 * CodeMirror's merge view; a version restored into the cell.
 */
export class HistoryWidget extends ReactWidget {
  constructor(
    private readonly api: CellopsApi,
    private readonly model: HistoryModel,
    private readonly archive: OutputArchive,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-cellops-HistoryWidget');
  }

  protected render(): JSX.Element {
    const { api, model, archive, trans } = this;
    return (
      <UseSignal signal={model.changed}>
        {() => {
          const target = model.target;
          if (!target) {
            return (
              <div className="jp-cellops-Hint">
                {trans.__(
                  'Select a cell of a notebook to see its recorded versions.'
                )}
              </div>
            );
          }
          return (
            <div className="jp-cellops-History">
              <div className="jp-cellops-SubHeader">
                {trans.__(
                  'Cell %1 of %2',
                  target.cellNumber,
                  target.panel.context.localPath
                )}
              </div>
              <CellHistory
                key={`${target.path}\n${target.cellId}`}
                api={api}
                model={model}
                archive={archive}
                target={target}
                trans={trans}
              />
            </div>
          );
        }}
      </UseSignal>
    );
  }
}
