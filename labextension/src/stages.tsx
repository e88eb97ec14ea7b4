import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { StateLegend, stateWords } from './components/StateLegend';
import { StageGraph } from './graph';
import { sourceCellIndex, stageLooks } from './lib/runs';
import { IAnalysis, IDiagnostic, IRunStatus } from './tokens';

export interface IStagesViewProps {
  analysis: IAnalysis;
  colors: Map<string, string>;
  trans: TranslationBundle;
  onReveal: (cellId: string) => void;
  /** The latest run of the notebook's package: the graph shows its stages' states. */
  run?: IRunStatus | null;
  /** A failed stage's links: its cell in this notebook (0-based), its executed notebook. */
  onRevealIndex?: (index: number) => void;
  onOpenExecuted?: (stage: string) => void;
}

function Diagnostics(props: {
  items: IDiagnostic[];
  trans: TranslationBundle;
  onReveal: (cellId: string) => void;
}): JSX.Element {
  if (!props.items.length) {
    return (
      <div className="jp-cellops-Ok">{props.trans.__('No problems found')}</div>
    );
  }
  return (
    <ul className="jp-cellops-Diagnostics">
      {props.items.map((d, i) => (
        <li
          key={i}
          className={`jp-cellops-Diagnostic jp-mod-${d.severity}`}
          data-code={d.code}
          title={d.cell_id ? props.trans.__('Go to the cell') : ''}
          onClick={() => d.cell_id && props.onReveal(d.cell_id)}
        >
          <span className="jp-cellops-Diagnostic-where">
            {d.cell_index !== null
              ? props.trans.__('cell %1', d.cell_index + 1)
              : props.trans.__('notebook')}
          </span>
          <span className="jp-cellops-Diagnostic-message">{d.message}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Stages of the active notebook: the graph, a coloured list, and the diagnostics.
 */
export function StagesView(props: IStagesViewProps): JSX.Element {
  const { analysis, colors, trans } = props;
  const stageNames = analysis.stages.map(s => s.name);
  const firstCell = new Map(
    analysis.stages.map(s => [s.name, s.cell_ids[0] ?? ''])
  );
  const reveal = (stage: string) => {
    const id = firstCell.get(stage);
    if (id) {
      props.onReveal(id);
    }
  };
  const errors = analysis.diagnostics.filter(d => d.severity === 'error');
  const run = props.run ?? null;
  const looks = stageLooks(run);
  const failed = (run?.stages ?? []).filter(s => s.state === 'failed');
  // A failed node leads to its cell, where the fix goes.
  const select = (stage: string) => {
    const err = failed.find(s => s.name === stage)?.error;
    const index = sourceCellIndex(err?.source_cell ?? null);
    if (index !== null && props.onRevealIndex) {
      props.onRevealIndex(index);
    } else {
      reveal(stage);
    }
  };
  return (
    <div className="jp-cellops-Stages">
      {analysis.dialect === 'untagged' && (
        <div className="jp-cellops-Hint">
          {trans.__(
            'This notebook has no stages yet: tag a cell below (stage:NAME), or promote it as one stage.'
          )}
        </div>
      )}
      {analysis.stages.length > 0 && (
        <div className="jp-cellops-GraphBox">
          <StageGraph
            stages={stageNames}
            edges={analysis.edges}
            colors={colors}
            states={run ? looks : undefined}
            stateWords={stateWords(trans)}
            onSelect={select}
            label={
              run
                ? trans.__('stage graph, states of run %1', run.id)
                : trans.__('stage graph')
            }
            cycleLabel={trans.__('on a cycle')}
          />
        </div>
      )}
      {run && analysis.stages.length > 0 && (
        <StateLegend trans={trans} looks={[...new Set(looks.values())]} />
      )}
      {failed.map(s => {
        const index = sourceCellIndex(s.error?.source_cell ?? null);
        return (
          <div
            key={s.name}
            className="jp-cellops-GraphFailure"
            data-stage={s.name}
            role="alert"
          >
            {trans.__('%1 failed', s.name)}
            {index !== null && props.onRevealIndex && (
              <button
                className="jp-cellops-Link jp-cellops-CellLink"
                onClick={() => props.onRevealIndex?.(index)}
              >
                {trans.__('go to cell %1', index + 1)}
              </button>
            )}
            {s.notebook && props.onOpenExecuted && (
              <button
                className="jp-cellops-Link jp-cellops-ExecutedLink"
                onClick={() => props.onOpenExecuted?.(s.name)}
              >
                {trans.__('executed notebook')}
              </button>
            )}
          </div>
        );
      })}
      <ul className="jp-cellops-StageList">
        {analysis.stages.map(s => (
          <li
            key={s.name}
            className="jp-cellops-StageItem"
            data-stage={s.name}
            onClick={() => reveal(s.name)}
            title={trans.__('Go to the first cell of %1', s.name)}
          >
            <span
              className="jp-cellops-Swatch"
              style={{ background: colors.get(s.name) }}
            />
            <span className="jp-cellops-StageItem-name">{s.name}</span>
            <span className="jp-cellops-StageItem-io">
              {s.inputs.length > 0 && `← ${s.inputs.join(', ')}`}
              {s.inputs.length > 0 && s.outputs.length > 0 && ' '}
              {s.outputs.length > 0 && `→ ${s.outputs.join(', ')}`}
            </span>
          </li>
        ))}
      </ul>
      <div className="jp-cellops-SubHeader">
        {errors.length
          ? trans.__('Problems (%1 to fix before promoting)', errors.length)
          : trans.__('Problems')}
      </div>
      <Diagnostics
        items={analysis.diagnostics}
        trans={trans}
        onReveal={props.onReveal}
      />
    </div>
  );
}
