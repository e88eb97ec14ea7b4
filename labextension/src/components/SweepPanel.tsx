import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { CellopsApi } from '../api';
import { DEFAULT_SETTINGS } from '../lib/settings';
import { SweepView } from '../sweep';
import { IParameterInfo } from '../tokens';

/**
 * A parameter sweep of one package in the main area: the grid form, progress, the results
 * table and the plot, which takes the panel's width (the sidebar had 250 px for it).
 */
export class SweepPanel extends ReactWidget {
  constructor(private readonly _options: SweepPanel.IOptions) {
    super();
    this.pkg = _options.pkg;
    this.notebook = _options.notebook;
    this.addClass('jp-cellops-SweepPanel');
  }

  readonly pkg: string;
  readonly notebook: string;

  /** The parameters to sweep over (known once the notebook has been analysed). */
  set parameters(parameters: IParameterInfo[]) {
    this._parameters = parameters;
    this.update();
  }

  /** Parallel runs and polling interval (user settings). */
  configure(jobs: number, interval: number): void {
    this._jobs = jobs;
    this._interval = interval;
    this.update();
  }

  protected render(): JSX.Element {
    const { api, trans } = this._options;
    return (
      <div className="jp-cellops-Sweep-view" data-package={this.pkg}>
        <div className="jp-cellops-SubHeader">
          {trans.__('Sweep of %1', this.pkg)}
        </div>
        <SweepView
          api={api}
          pkg={this.pkg}
          parameters={this._parameters}
          jobs={this._jobs}
          interval={this._interval}
          trans={trans}
        />
      </div>
    );
  }

  private _parameters: IParameterInfo[] = [];
  private _jobs = DEFAULT_SETTINGS.defaultJobs;
  private _interval = DEFAULT_SETTINGS.pollingInterval;
}

export namespace SweepPanel {
  export interface IOptions {
    api: CellopsApi;
    pkg: string;
    notebook: string;
    trans: TranslationBundle;
  }
}
