import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { runStatusWord } from './components/StateLegend';
import { formatDuration, formatStarted } from './lib/runs';
import { ParamFields, runParams } from './paramform';
import { IParameterInfo, IRunStatus } from './tokens';

export interface IRunViewProps {
  pkg: string | null;
  /** The run form's fields as typed (kept by the caller, per package). */
  values: Record<string, string>;
  onValues: (values: Record<string, string>) => void;
  /** The package's latest run. */
  status: IRunStatus | null;
  error: string | null;
  parameters: IParameterInfo[];
  trans: TranslationBundle;
  onRun: (params: Record<string, unknown>) => void;
  /** Open the runs view (every run of the package: stages, logs, Resume / Re-run / Cancel). */
  onOpenRuns: () => void;
}

/**
 * The sidebar's part of running: the parameter form, Run, and one line for the latest run.
 * Its stages, errors and Cancel live in the runs view, where they have room; the graph
 * above shows each stage's state.
 */
export function RunView(props: IRunViewProps): JSX.Element {
  const { trans, status, values } = props;
  if (!props.pkg) {
    return (
      <div className="jp-cellops-Hint">
        {trans.__('Promote the notebook to run it as a pipeline.')}
      </div>
    );
  }
  const running = status?.status === 'running';
  return (
    <div className="jp-cellops-Runs">
      <div className="jp-cellops-Package" title={props.pkg}>
        {props.pkg}
      </div>
      <ParamFields
        parameters={props.parameters}
        values={values}
        onChange={props.onValues}
        kind="param"
        prefill
      />
      <div className="jp-cellops-Row">
        <button
          className="jp-mod-styled jp-mod-accept jp-cellops-RunButton"
          disabled={running}
          onClick={() => props.onRun(runParams(props.parameters, values))}
        >
          {running ? trans.__('Running…') : trans.__('Run pipeline')}
        </button>
      </div>
      {props.error && <div className="jp-cellops-Error">{props.error}</div>}
      {status && (
        <div
          className="jp-cellops-Run"
          data-run-id={status.id}
          data-status={status.status}
          role="status"
        >
          <span
            className={`jp-cellops-Run-status jp-mod-${status.status}`}
            title={status.id}
          >
            {trans.__('Latest run: %1', runStatusWord(status.status, trans))}
          </span>
          <span className="jp-cellops-Run-when">
            {formatStarted(status.started)}
            {status.duration !== null &&
              ` · ${formatDuration(status.duration)}`}
          </span>
          <button
            className="jp-cellops-Link jp-cellops-OpenRuns"
            onClick={props.onOpenRuns}
          >
            {trans.__('all runs')}
          </button>
        </div>
      )}
    </div>
  );
}
