import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { StageGraph } from './graph';
import { IAnalysis, IDiagnostic } from './tokens';

export interface IStagesViewProps {
  analysis: IAnalysis;
  colors: Map<string, string>;
  trans: TranslationBundle;
  onReveal: (cellId: string) => void;
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
            onSelect={reveal}
            label={trans.__('stage graph')}
            cycleLabel={trans.__('on a cycle')}
          />
        </div>
      )}
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
