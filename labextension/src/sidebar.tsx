import { Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { ApiError, CellopsApi } from './api';
import { BadgePainter, cellTags, revealCell, setCellTags } from './cells';
import { colorMap } from './lib/colors';
import { cellopsIcon } from './icons';
import { askPromote, defaultPackage } from './promote';
import { executedNotebookPath, isExecutedNotebook } from './rundrive';
import { RunController } from './runs';
import { RunView } from './runview';
import { StagesView } from './stages';
import { stageOf } from './lib/tags';
import { TaggingView } from './tagging';
import { IParameterInfo, IPromoteResult, IRunStatus } from './tokens';
import { NotebookWatcher } from './watcher';
import { CommandIDs } from './lib/commands';
import { DEFAULT_SETTINGS, ISidebarSettings } from './lib/settings';
import { runParams } from './paramform';

/**
 * The DOM id of the cellops sidebar panel.
 */
export const SIDEBAR_ID = 'cellops-sidebar';

function Section(props: {
  title: string;
  name: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <details open className="jp-cellops-Section" data-section={props.name}>
      <summary className="jp-cellops-SectionHeader">{props.title}</summary>
      <div className="jp-cellops-SectionBody">{props.children}</div>
    </details>
  );
}

function EmptyState(props: { title: string; text: string }): JSX.Element {
  return (
    <div className="jp-cellops-EmptyState">
      <cellopsIcon.react
        className="jp-cellops-EmptyState-icon"
        width="32px"
        height="32px"
      />
      <div className="jp-cellops-EmptyState-title">{props.title}</div>
      <p className="jp-cellops-EmptyState-text">{props.text}</p>
    </div>
  );
}

/**
 * The left-area panel: stages, cell tagging, promote and the latest run of the current
 * notebook (its runs, sweeps and history open in the main area).
 */
export class CellopsSidebar extends ReactWidget {
  constructor(options: CellopsSidebar.IOptions) {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-cellops-Sidebar');
    this.title.icon = cellopsIcon;
    this._trans = options.trans ?? nullTranslator.load('cellops');
    this.title.caption = this._trans.__('cellops pipeline');
    this._api = options.api;
    this._commands = options.commands;
    this._watcher = new NotebookWatcher(this._api);
    this._runs = new RunController(this._api);
    this._watcher.changed.connect(this._onAnalysis, this);
    this._runs.changed.connect(() => this.update());
    options.tracker.currentChanged.connect((_, panel) => this._setPanel(panel));
    this._setPanel(options.tracker.currentWidget);
  }

  /**
   * Ask for a name and target, write the package, and show what was created.
   */
  async promote(panel: NotebookPanel | null = this._panel): Promise<void> {
    if (!panel) {
      return;
    }
    const request = await askPromote(
      panel.context.path,
      defaultPackage(panel.context.path, this._settings.promoteTarget),
      this._trans
    );
    if (!request) {
      return;
    }
    try {
      const result = await this._api.promote(request);
      this._promoted.set(panel.context.path, result);
      this._promoteError = null;
      void this._runs.follow(result.package);
      Notification.success(
        this._trans.__(
          'Promoted to %1 (%2 files)',
          result.package,
          result.files.length
        ),
        { autoClose: 4000 }
      );
    } catch (error) {
      const e = error as ApiError;
      const details = (e.diagnostics ?? []).map(d => d.message);
      this._promoteError = [e.message, ...details].join('\n');
      Notification.error(this._trans.__('Promote failed: %1', e.message));
    }
    this.update();
  }

  /** The package whose runs the sidebar follows (null: the notebook is not promoted). */
  get runsPackage(): string | null {
    return this._runs.package;
  }

  /** A run of the followed package seen elsewhere (the runs view): the graph shows it. */
  showRun(run: IRunStatus): void {
    this._runs.show(run);
  }

  /** A run started from the sidebar, with its package. */
  get runStarted(): ISignal<RunController, string> {
    return this._runs.started;
  }

  /** The typed parameters of the current notebook's pipeline (what a sweep varies). */
  get runParameters(): IParameterInfo[] {
    const analysis = this._watcher.state.analysis;
    const promoted =
      this._panel && this._promoted.get(this._panel.context.path);
    return promoted?.parameters ?? analysis?.parameters ?? [];
  }

  /** Apply the user's settings (at start and whenever they change). */
  configure(settings: ISidebarSettings): void {
    this._settings = settings;
    this._runs.interval = settings.pollingInterval;
    this._badges.enabled = settings.showBadges;
    this._onAnalysis();
  }

  /** Run the current notebook's package with what the run form holds. */
  async runPipeline(): Promise<void> {
    const pkg = this._runs.package;
    if (!pkg) {
      Notification.warning(
        this._trans.__('Promote the notebook first: it has no pipeline yet.'),
        { autoClose: 4000 }
      );
      return;
    }
    const analysis = this._watcher.state.analysis;
    const promoted =
      this._panel && this._promoted.get(this._panel.context.path);
    const parameters = promoted?.parameters ?? analysis?.parameters ?? [];
    await this._runs.start(
      pkg,
      runParams(parameters, this._runValues.get(pkg) ?? {})
    );
  }

  /** Open a section of the panel (runs, sweep, history...) and scroll it into view. */
  revealSection(name: string): void {
    const section = this.node.querySelector<HTMLDetailsElement>(
      `details[data-section="${name}"]`
    );
    if (section) {
      section.open = true;
      section.scrollIntoView({ block: 'start' });
      section.querySelector('summary')?.focus();
    }
  }

  /** Edit the active cell's tags (the tag commands); false without an active cell. */
  tagActiveCell(edit: (tags: string[]) => string[]): boolean {
    const panel = this._panel;
    const cell = panel?.content.activeCell;
    if (!panel || !cell || isExecutedNotebook(panel.context.path)) {
      return false;
    }
    setCellTags(panel, cell.model.id, edit(cellTags(panel, cell.model.id)));
    this._watcher.refreshNow();
    this.update();
    return true;
  }

  dispose(): void {
    Signal.clearData(this);
    this._watcher.dispose();
    this._runs.dispose();
    super.dispose();
  }

  protected render(): JSX.Element {
    const trans = this._trans;
    const panel = this._panel;
    if (!panel) {
      return (
        <EmptyState
          title={trans.__('No notebook')}
          text={trans.__(
            'Open a notebook to see its pipeline stages. Tag cells with stage:NAME, or promote the notebook as one stage.'
          )}
        />
      );
    }
    if (isExecutedNotebook(panel.context.path)) {
      return (
        <EmptyState
          title={trans.__('Executed stage notebook')}
          text={trans.__(
            'The read-only record of one stage of a run, with its outputs. Edit the source notebook and promote it again to change the pipeline.'
          )}
        />
      );
    }
    const { analysis, error } = this._watcher.state;
    const colors = colorMap(analysis?.stages.map(s => s.name) ?? []);
    const reveal = (id: string) => revealCell(panel, id);
    const promoted = this._promoted.get(panel.context.path);
    return (
      <div className="jp-cellops-Panel">
        <div className="jp-cellops-Toolbar">
          <div className="jp-cellops-Notebook" title={panel.context.path}>
            {panel.context.localPath}
          </div>
          <button
            className="jp-mod-styled jp-cellops-ExperimentsButton"
            onClick={() => void this._commands.execute(CommandIDs.experiments)}
          >
            {trans.__('Experiments')}
          </button>
          <button
            className="jp-mod-styled jp-mod-accept jp-cellops-PromoteButton"
            onClick={() => void this.promote(panel)}
          >
            {trans.__('Promote to pipeline')}
          </button>
        </div>
        {error && <div className="jp-cellops-Error">{error}</div>}
        <Section title={trans.__('Stages')} name="stages">
          {analysis ? (
            <StagesView
              analysis={analysis}
              colors={colors}
              trans={trans}
              onReveal={reveal}
              run={this._runs.status}
              onRevealIndex={index => {
                const cell = panel.model?.cells.get(index);
                if (cell) {
                  revealCell(panel, cell.id);
                }
              }}
              onOpenExecuted={stage => this._openExecuted(stage)}
            />
          ) : (
            <div className="jp-cellops-Hint">{trans.__('Analysing…')}</div>
          )}
        </Section>
        <Section title={trans.__('Cell')} name="cell">
          {this._renderTagging(panel)}
        </Section>
        <Section title={trans.__('History')} name="history">
          <button
            className="jp-mod-styled jp-cellops-OpenHistory"
            disabled={!panel.content.activeCell}
            onClick={() => void this._commands.execute(CommandIDs.openHistory)}
          >
            {trans.__('Show cell history')}
          </button>
        </Section>
        <Section title={trans.__('Pipeline')} name="pipeline">
          {this._promoteError && (
            <pre className="jp-cellops-Error jp-cellops-PromoteError">
              {this._promoteError}
            </pre>
          )}
          {promoted && this._renderPromoted(promoted)}
          <RunView
            pkg={this._runs.package}
            values={this._runValues.get(this._runs.package ?? '') ?? {}}
            onValues={values => {
              const pkg = this._runs.package;
              if (pkg) {
                this._runValues.set(pkg, values);
                this.update();
              }
            }}
            status={this._runs.status}
            error={this._runs.error}
            parameters={promoted?.parameters ?? analysis?.parameters ?? []}
            trans={trans}
            onRun={params => {
              const pkg = this._runs.package;
              if (pkg) {
                void this._runs.start(pkg, params);
              }
            }}
            onOpenRuns={() => void this._commands.execute(CommandIDs.openRuns)}
          />
        </Section>
        {this._runs.package && (
          <div className="jp-cellops-Row jp-cellops-ViewLinks">
            <button
              className="jp-mod-styled jp-cellops-OpenRunsButton"
              onClick={() => void this._commands.execute(CommandIDs.openRuns)}
            >
              {trans.__('Open runs')}
            </button>
            <button
              className="jp-mod-styled jp-cellops-OpenSweepButton"
              onClick={() => void this._commands.execute(CommandIDs.sweep)}
            >
              {trans.__('Sweep parameters…')}
            </button>
          </div>
        )}
      </div>
    );
  }

  private _openExecuted(stage: string): void {
    const pkg = this._runs.package;
    const run = this._runs.status;
    if (pkg && run) {
      void this._commands.execute('docmanager:open', {
        path: executedNotebookPath(pkg, run.id, stage)
      });
    }
  }

  private _renderTagging(panel: NotebookPanel): JSX.Element {
    const cell = panel.content.activeCell;
    const analysis = this._watcher.state.analysis;
    if (!cell) {
      return (
        <div className="jp-cellops-Hint">
          {this._trans.__('Select a cell to tag it.')}
        </div>
      );
    }
    const id = cell.model.id;
    const info = analysis?.cells.find(c => c.id === id);
    const stage = analysis?.stages.find(s => s.name === info?.stage);
    // Options and after: live on the cell that starts the stage (not on an adopted heading).
    const stageCellId =
      stage?.cell_ids.find(c => stageOf(cellTags(panel, c)) === stage.name) ??
      null;
    return (
      <TaggingView
        analysis={analysis}
        cellId={id}
        cellNumber={panel.content.activeCellIndex + 1}
        tags={cellTags(panel, id)}
        stageCell={
          stageCellId
            ? { id: stageCellId, tags: cellTags(panel, stageCellId) }
            : null
        }
        trans={this._trans}
        onTags={(cellId, tags) => {
          setCellTags(panel, cellId, tags);
          this._watcher.refreshNow();
          this.update();
        }}
      />
    );
  }

  private _renderPromoted(result: IPromoteResult): JSX.Element {
    return (
      <details className="jp-cellops-Promoted" data-package={result.package}>
        <summary>
          {this._trans.__(
            '%1 files written to %2',
            result.files.length,
            result.package
          )}
        </summary>
        <ul>
          {result.files.map(f => (
            <li key={f}>
              <button
                className="jp-cellops-Link"
                // The server names files from the root, as docmanager opens them.
                onClick={() =>
                  void this._commands.execute('docmanager:open', { path: f })
                }
              >
                {PathExt.relative(result.package, f)}
              </button>
            </li>
          ))}
        </ul>
      </details>
    );
  }

  private _setPanel(panel: NotebookPanel | null): void {
    this._panel?.content.activeCellChanged.disconnect(this._onActiveCell, this);
    this._panel = panel;
    panel?.content.activeCellChanged.connect(this._onActiveCell, this);
    if (panel && isExecutedNotebook(panel.context.path)) {
      // Keep following the run that was open: its record is what the user came from.
      this.update();
      return;
    }
    this._watcher.setPanel(panel);
    const path = panel?.context.path;
    const pkg = path
      ? (this._promoted.get(path)?.package ??
        defaultPackage(path, this._settings.promoteTarget))
      : null;
    void this._runs.follow(pkg);
    this.update();
  }

  private _onActiveCell(): void {
    this.update();
  }

  private _onAnalysis(): void {
    const { panel, analysis } = this._watcher.state;
    if (panel) {
      this._badges.update(
        panel,
        analysis,
        colorMap(analysis?.stages.map(s => s.name) ?? [])
      );
    }
    this.update();
  }

  private _api: CellopsApi;
  private _commands: CommandRegistry;
  private _trans: TranslationBundle;
  private _watcher: NotebookWatcher;
  private _runs: RunController;
  private _panel: NotebookPanel | null = null;
  private _promoted = new Map<string, IPromoteResult>();
  /**
   * What the user typed in the run form, per package: the form is rebuilt when the sidebar
   * shows an executed notebook or another notebook, and a re-promote must not lose it.
   */
  private _runValues = new Map<string, Record<string, string>>();
  private _badges = new BadgePainter();
  private _settings: ISidebarSettings = DEFAULT_SETTINGS;
  private _promoteError: string | null = null;
}

export namespace CellopsSidebar {
  export interface IOptions {
    api: CellopsApi;
    tracker: INotebookTracker;
    commands: CommandRegistry;
    trans?: TranslationBundle;
  }
}
