import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { isResumable } from '../lib/runs';
import { RunsModel } from '../models/runs';
import { IParameterInfo } from '../tokens';
import { RunDetail } from './RunDetail';
import { nearEnd, RunList } from './RunList';

/**
 * The runs of one package in the main area: the list on the left, the chosen run on the right.
 */
export class RunsPanel extends ReactWidget {
  constructor(options: RunsPanel.IOptions) {
    super();
    this.model = options.model;
    this.pkg = options.model.pkg;
    this.notebook = options.notebook;
    this._options = options;
    this.addClass('jp-cellops-RunsPanel');
    // After each change is drawn: a pane the loaded runs do not fill asks for the next page.
    this.model.changed.connect(() =>
      requestAnimationFrame(() => this._loadIfNearEnd())
    );
  }

  readonly model: RunsModel;
  readonly pkg: string;
  /** The source notebook the package was promoted from ('' when not known). */
  readonly notebook: string;

  /** The pipeline's typed parameters, for a run with changes (known once analysed). */
  set parameters(parameters: IParameterInfo[]) {
    this._parameters = parameters;
    this.update();
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    const { trans, serverRoot } = this._options;
    const model = this.model;
    return (
      <UseSignal signal={model.changed}>
        {() => {
          const run = model.selected;
          return (
            <div className="jp-cellops-Runs-view" data-package={model.pkg}>
              <div
                className="jp-cellops-Runs-listPane"
                ref={this._pane}
                onScroll={() => this._loadIfNearEnd()}
              >
                <div className="jp-cellops-SubHeader">
                  {model.hasMore
                    ? trans.__(
                        'Runs of %1 (newest %2)',
                        model.pkg,
                        model.runs.length
                      )
                    : trans.__('Runs of %1 (%2)', model.pkg, model.runs.length)}
                </div>
                {model.error && (
                  <div className="jp-cellops-Error" role="alert">
                    {model.error}
                  </div>
                )}
                {model.loaded ? (
                  <RunList
                    runs={model.runs}
                    pane={this._pane}
                    selected={run?.id ?? null}
                    hasMore={model.hasMore}
                    trans={trans}
                    onSelect={id => model.select(id)}
                    onMore={() => void model.loadMore()}
                  />
                ) : (
                  <div className="jp-cellops-Hint">{trans.__('Loading…')}</div>
                )}
              </div>
              <div className="jp-cellops-Runs-detailPane">
                {run && (
                  <RunDetail
                    run={run}
                    resumable={isResumable(run, model.runs)}
                    cancelling={model.isCancelling(run.id)}
                    serverRoot={serverRoot}
                    trans={trans}
                    onCancel={() => void model.cancel(run.id)}
                    onResume={() => void model.resume()}
                    onRerun={() => void model.start(run.parameters)}
                    parameters={this._parameters}
                    onRun={params => void model.start(params)}
                    onOpenExecuted={stage =>
                      this._options.onOpenExecuted(run.id, stage)
                    }
                    onOpenCell={index => this._options.onOpenCell(index)}
                  />
                )}
              </div>
            </div>
          );
        }}
      </UseSignal>
    );
  }

  private _loadIfNearEnd(): void {
    const pane = this._pane.current;
    if (pane && this.model.hasMore && this.isVisible && nearEnd(pane)) {
      void this.model.loadMore();
    }
  }

  private _options: RunsPanel.IOptions;
  private _parameters: IParameterInfo[] = [];
  private _pane = React.createRef<HTMLDivElement>();
}

export namespace RunsPanel {
  export interface IOptions {
    model: RunsModel;
    notebook: string;
    pkg?: string;
    serverRoot: string;
    trans: TranslationBundle;
    onOpenExecuted: (runId: string, stage: string) => void;
    onOpenCell: (index: number) => void;
  }
}
