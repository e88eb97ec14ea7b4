import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { CancelButton } from './components/CancelButton';

import { ParamFields, runParams } from './paramform';
import { IParameterInfo, IRunStatus, IStageStatus } from './tokens';

export interface IRunViewProps {
  pkg: string | null;
  /** The run form's fields as typed (kept by the caller, per package). */
  values: Record<string, string>;
  onValues: (values: Record<string, string>) => void;
  status: IRunStatus | null;
  error: string | null;
  /** Cancel asked for, the run not yet stopped. */
  cancelling: boolean;
  parameters: IParameterInfo[];
  colors: Map<string, string>;
  trans: TranslationBundle;
  onRun: (params: Record<string, unknown>) => void;
  onCancel: () => void;
  /** Open the executed notebook of a stage of the shown run. */
  onOpen: (stage: string) => void;
  /** Open the runs view (every run of the package, logs, Resume / Re-run). */
  onOpenRuns: () => void;
}

// Tracebacks from kernels carry ANSI colour codes.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function seconds(value: number | null): string {
  return value === null ? '' : `${value.toFixed(value < 10 ? 2 : 1)}s`;
}

function StageRow(props: {
  stage: IStageStatus;
  color?: string;
  trans: TranslationBundle;
  onOpen: (stage: string) => void;
}): JSX.Element {
  const s = props.stage;
  const err = s.error;
  return (
    <li
      className={`jp-cellops-RunStage jp-mod-${s.state}`}
      data-stage={s.name}
      data-state={s.state}
    >
      <div className="jp-cellops-RunStage-line">
        <span
          className="jp-cellops-Swatch"
          style={{ background: props.color }}
        />
        <span className="jp-cellops-RunStage-name">{s.name}</span>
        <span className="jp-cellops-RunStage-state">{s.state}</span>
        <span className="jp-cellops-RunStage-time">{seconds(s.duration)}</span>
        {s.notebook && (
          <button
            className="jp-cellops-Link"
            title={props.trans.__('Open the executed notebook')}
            onClick={() => props.onOpen(s.name)}
          >
            {props.trans.__('open')}
          </button>
        )}
      </div>
      {err && (
        <div className="jp-cellops-RunError">
          <div className="jp-cellops-RunError-title">
            {err.source_cell ? `${err.source_cell}: ` : ''}
            {err.ename}: {err.evalue}
          </div>
          {err.traceback && (
            <pre className="jp-cellops-RunError-trace">
              {err.traceback.replace(ANSI, '')}
            </pre>
          )}
        </div>
      )}
    </li>
  );
}

/**
 * Run the promoted package and watch each stage: pending, running, cached, done or failed.
 */
export function RunView(props: IRunViewProps): JSX.Element {
  const { trans, status } = props;
  const { values } = props;
  if (!props.pkg) {
    return (
      <div className="jp-cellops-Hint">
        {trans.__('Promote the notebook to run it as a pipeline.')}
      </div>
    );
  }
  const running = status?.status === 'running';
  const run = () => props.onRun(runParams(props.parameters, values));
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
          onClick={run}
        >
          {running ? trans.__('Running…') : trans.__('Run pipeline')}
        </button>
        {running && (
          <CancelButton
            cancelling={props.cancelling}
            trans={trans}
            onCancel={props.onCancel}
          />
        )}
      </div>
      {props.error && <div className="jp-cellops-Error">{props.error}</div>}
      {status && (
        <div
          className="jp-cellops-Run"
          data-run-id={status.id}
          data-status={status.status}
        >
          <div className="jp-cellops-SubHeader">
            {trans.__('Run %1: %2', status.id, status.status)}
            {status.duration !== null && ` · ${seconds(status.duration)}`}
            <button
              className="jp-cellops-Link jp-cellops-OpenRuns"
              onClick={props.onOpenRuns}
            >
              {trans.__('all runs')}
            </button>
          </div>
          {status.status === 'interrupted' && (
            <div className="jp-cellops-RunCancelled" role="status">
              {trans.__(
                'Cancelled: %1 of %2 stages finished, the others were stopped or not run.',
                status.stages.filter(
                  s => s.state === 'done' || s.state === 'cached'
                ).length,
                status.stages.length
              )}
            </div>
          )}
          {status.message && (
            <div className="jp-cellops-Error">{status.message}</div>
          )}
          <ul className="jp-cellops-RunStages">
            {status.stages.map(s => (
              <StageRow
                key={s.name}
                stage={s}
                color={props.colors.get(s.name)}
                trans={trans}
                onOpen={props.onOpen}
              />
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
