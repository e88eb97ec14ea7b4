import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { CellopsApi } from '../api';
import { notebookCells } from '../cells';
import { cellopsIcon } from '../icons';
import { CommandIDs } from '../lib/commands';
import { cellLabels } from '../lib/experiments';
import { HistoryModel } from './history';
import { OutputArchive } from './outputs';

/**
 * The main-area views of history and experiments: opened once each (per notebook for the
 * experiments), revealed when asked again, and reopened by a restored layout.
 */
export class MainViews {
  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly api: CellopsApi,
    private readonly notebooks: INotebookTracker,
    private readonly trans: TranslationBundle,
    restorer: ILayoutRestorer | null
  ) {
    // Outputs are collected from the start: a version run before the view opens has them too.
    this._archive = new OutputArchive();
    this._historyModel = new HistoryModel(notebooks);
    void restorer?.restore(this._history, {
      command: CommandIDs.openHistory,
      name: () => 'history'
    });
    void restorer?.restore(this._experiments, {
      command: CommandIDs.experiments,
      args: w => ({ path: (w.content as unknown as { path: string }).path }),
      name: w => (w.content as unknown as { path: string }).path
    });
  }

  async openHistory(): Promise<void> {
    let widget = this._history.currentWidget;
    if (!widget) {
      const { HistoryWidget } = await import('../components/HistoryPanel');
      const content = new HistoryWidget(
        this.api,
        this._historyModel,
        this._archive,
        this.trans
      );
      widget = this._wrap(
        content,
        'cellops-history',
        this.trans.__('Cell history')
      );
      // Beside the notebook, as Verdant opens: the cell and its history in view at once.
      this.app.shell.add(widget, 'main', { mode: 'split-right' });
      void this._history.add(widget);
    }
    this.app.shell.activateById(widget.id);
  }

  /** The experiments of `path` (default: the current notebook's). */
  async openExperiments(path?: string): Promise<void> {
    const nb = path ?? this.notebooks.currentWidget?.context.path;
    if (!nb) {
      return;
    }
    let widget = this._experiments.find(
      w => (w.content as unknown as { path: string }).path === nb
    );
    if (!widget) {
      const { ExperimentsWidget } =
        await import('../components/ExperimentsPanel');
      const content = new ExperimentsWidget(
        this.api,
        nb,
        this.trans,
        () => {
          const panel = this.notebooks.find(p => p.context.path === nb);
          return cellLabels(panel ? notebookCells(panel) : []);
        },
        this._historyModel.executed
      );
      widget = this._wrap(
        content,
        `cellops-experiments-${nb}`,
        this.trans.__('Experiments: %1', PathExt.basename(nb))
      );
      this.app.shell.add(widget, 'main');
      void this._experiments.add(widget);
    }
    this.app.shell.activateById(widget.id);
  }

  private _wrap(
    content: Widget,
    id: string,
    label: string
  ): MainAreaWidget<Widget> {
    const widget = new MainAreaWidget({ content });
    widget.id = id;
    widget.title.label = label;
    widget.title.icon = cellopsIcon;
    widget.title.closable = true;
    return widget;
  }

  private _archive: OutputArchive;
  private _historyModel: HistoryModel;
  private _history = new WidgetTracker<MainAreaWidget<Widget>>({
    namespace: 'cellops-history'
  });
  private _experiments = new WidgetTracker<MainAreaWidget<Widget>>({
    namespace: 'cellops-experiments'
  });
}
