import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CancelButton } from './CancelButton';

import {
  formatDuration,
  formatParameters,
  readableMessage,
  sourceCellIndex,
  stageLook,
  stripAnsi
} from '../lib/runs';
import { ParamFields, runParams } from '../paramform';
import { IParameterInfo, IRunStatus, IStageStatus } from '../tokens';
import { runStatusWord, StateBadge } from './StateLegend';

export interface IRunDetailProps {
  run: IRunStatus;
  /** Only the newest failed or cancelled run can be resumed. */
  resumable: boolean;
  cancelling: boolean;
  /** The Jupyter server's root folder: paths in messages are shown relative to it. */
  serverRoot: string;
  trans: TranslationBundle;
  onCancel: () => void;
  onResume: () => void;
  onRerun: () => void;
  /** The pipeline's typed parameters (empty until known): the form for a changed run. */
  parameters: IParameterInfo[];
  /** Start a new run with these parameters (those that differ from the defaults). */
  onRun: (params: Record<string, unknown>) => void;
  onOpenExecuted: (stage: string) => void;
  /** Open the source notebook at this (0-based) cell. */
  onOpenCell: (index: number) => void;
}

function StageError(props: {
  stage: IStageStatus;
  trans: TranslationBundle;
  onOpenCell: (index: number) => void;
}): JSX.Element | null {
  const err = props.stage.error;
  if (!err) {
    return null;
  }
  const index = sourceCellIndex(err.source_cell);
  return (
    <div className="jp-cellops-RunError" role="alert">
      <div className="jp-cellops-RunError-title">
        {index !== null ? (
          <button
            className="jp-cellops-Link jp-cellops-CellLink"
            title={props.trans.__('Open the notebook at this cell')}
            onClick={() => props.onOpenCell(index)}
          >
            {props.trans.__('cell %1', index + 1)}
          </button>
        ) : (
          err.source_cell
        )}
        {err.source_cell ? ': ' : ''}
        {err.ename}: {err.evalue}
      </div>
      {err.traceback && (
        // The title says what failed; the traceback is there for who wants it.
        <details className="jp-cellops-RunError-details">
          <summary>{props.trans.__('Traceback')}</summary>
          <pre className="jp-cellops-RunError-trace">
            {stripAnsi(err.traceback)}
          </pre>
        </details>
      )}
    </div>
  );
}

/** The form of a new run that starts from this run's parameters, any of them changed. */
function RunWithChanges(props: {
  run: IRunStatus;
  parameters: IParameterInfo[];
  trans: TranslationBundle;
  onRun: (params: Record<string, unknown>) => void;
  onClose: () => void;
}): JSX.Element {
  const { trans } = props;
  const [values, setValues] = React.useState<Record<string, string>>(() =>
    Object.fromEntries(
      props.parameters.map(p => [
        p.name,
        String(props.run.parameters[p.name] ?? p.default)
      ])
    )
  );
  return (
    <form
      className="jp-cellops-RunWithChanges"
      aria-label={trans.__('Run with changed parameters')}
      onSubmit={event => {
        event.preventDefault();
        props.onRun(runParams(props.parameters, values));
        props.onClose();
      }}
    >
      <ParamFields
        parameters={props.parameters}
        values={values}
        onChange={setValues}
        kind="param"
        prefill
      />
      <div className="jp-cellops-Row">
        <button
          type="submit"
          className="jp-mod-styled jp-mod-accept jp-cellops-RunChangedButton"
        >
          {trans.__('Run')}
        </button>
        <button type="button" className="jp-mod-styled" onClick={props.onClose}>
          {trans.__('Close')}
        </button>
      </div>
    </form>
  );
}

/**
 * One run: its stages live, the errors once each, links to the executed notebooks, and the
 * Resume / Re-run / Cancel buttons.
 */
export function RunDetail(props: IRunDetailProps): JSX.Element {
  const { run, trans } = props;
  const running = run.status === 'running';
  const [changing, setChanging] = React.useState(false);
  const anyStageError = run.stages.some(s => s.error);
  // The runner's stderr says what the stages already say; it matters only when no stage
  // recorded an error (the runner died before it could write one).
  const message =
    run.message && !anyStageError
      ? readableMessage(run.message, props.serverRoot)
      : '';
  return (
    <section
      className="jp-cellops-RunDetail"
      data-run-id={run.id}
      data-status={run.status}
      aria-label={trans.__('Run %1', run.id)}
    >
      <div className="jp-cellops-RunDetail-head">
        <h2 className="jp-cellops-RunDetail-title">
          {trans.__('Run %1: %2', run.id, runStatusWord(run.status, trans))}
          {run.duration !== null && ` · ${formatDuration(run.duration)}`}
        </h2>
        <div className="jp-cellops-Row">
          {running && (
            <CancelButton
              cancelling={props.cancelling}
              trans={trans}
              onCancel={props.onCancel}
            />
          )}
          {props.resumable && (
            <button
              className="jp-mod-styled jp-mod-accept jp-cellops-ResumeButton"
              title={trans.__(
                'Continue this run: finished stages are not run again'
              )}
              onClick={props.onResume}
            >
              {trans.__('Resume')}
            </button>
          )}
          {!running && (
            <button
              className="jp-mod-styled jp-cellops-RerunButton"
              title={trans.__('Start a new run with the same parameters')}
              onClick={props.onRerun}
            >
              {trans.__('Re-run')}
            </button>
          )}
          {!running && props.parameters.length > 0 && (
            <button
              className="jp-mod-styled jp-cellops-ChangeParamsButton"
              aria-expanded={changing}
              title={trans.__('Start a new run with some parameters changed')}
              onClick={() => setChanging(!changing)}
            >
              {trans.__('Run with changes…')}
            </button>
          )}
        </div>
      </div>
      <div className="jp-cellops-RunDetail-params">
        {trans.__('Parameters: %1', formatParameters(run.parameters) || '—')}
      </div>
      {changing && !running && (
        <RunWithChanges
          key={run.id}
          run={run}
          parameters={props.parameters}
          trans={trans}
          onRun={props.onRun}
          onClose={() => setChanging(false)}
        />
      )}
      {run.status === 'interrupted' && (
        <div className="jp-cellops-RunCancelled" role="status">
          {trans.__(
            'Cancelled: %1 of %2 stages finished, the others were stopped or not run.',
            run.stages.filter(s => s.state === 'done' || s.state === 'cached')
              .length,
            run.stages.length
          )}
        </div>
      )}
      {message && <pre className="jp-cellops-Error">{message}</pre>}
      <ul className="jp-cellops-RunStages" aria-label={trans.__('Stages')}>
        {run.stages.map(s => (
          <li
            key={s.name}
            className={`jp-cellops-RunStage jp-mod-${s.state}`}
            data-stage={s.name}
            data-state={s.state}
          >
            <div className="jp-cellops-RunStage-line">
              <span className="jp-cellops-RunStage-name">{s.name}</span>
              <StateBadge look={stageLook(s)} trans={trans} />
              <span className="jp-cellops-RunStage-time">
                {formatDuration(s.duration)}
              </span>
              {s.notebook && (
                <button
                  className="jp-cellops-Link jp-cellops-ExecutedLink"
                  title={trans.__('Open the executed notebook (read-only)')}
                  onClick={() => props.onOpenExecuted(s.name)}
                >
                  {trans.__('executed notebook')}
                </button>
              )}
            </div>
            <StageError stage={s} trans={trans} onOpenCell={props.onOpenCell} />
          </li>
        ))}
      </ul>
    </section>
  );
}
