import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { PageConfig, PathExt } from '@jupyterlab/coreutils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CellopsApi } from './api';
import { revealCell } from './cells';
import { RunsPanel } from './components/RunsPanel';
import { SweepPanel } from './components/SweepPanel';
import { cellopsIcon } from './icons';
import { CommandIDs } from './lib/commands';
import { DEFAULT_SETTINGS, ISidebarSettings } from './lib/settings';
import { RunsModel } from './models/runs';
import { executedNotebookPath } from './rundrive';
import { IParameterInfo, IRunStatus } from './tokens';

/** What a main-area view of a package is opened with (and restored from). */
export interface IViewArgs {
  pkg: string;
  /** The source notebook ('' when not known). */
  notebook: string;
}

/** The main-area views of a package: runs and sweeps, one of each per package. */
export interface IPackageViews {
  /** `parameters`: the notebook's, when the caller knows them (else analysed again). */
  openRuns(args: IViewArgs, parameters: IParameterInfo[] | null): Promise<void>;
  openSweep(
    args: IViewArgs,
    parameters: IParameterInfo[] | null
  ): Promise<void>;
  /** Apply the user's settings to the open views. */
  configure(settings: ISidebarSettings): void;
  /** A run of `pkg` was started elsewhere: an open runs view lists it. */
  refreshRuns(pkg: string): void;
  /** The newest run of a package, as an open runs view sees it. */
  readonly latestChanged: ISignal<object, IRunStatus>;
}

type Content = Widget & IViewArgs;

/**
 * One tracked, restorable kind of view: the restorer calls `command` with the package and
 * notebook it saved; opening a package's view again brings the open one to the front.
 */
function trackedViews<T extends Content>(
  app: JupyterFrontEnd,
  restorer: ILayoutRestorer | null,
  namespace: string,
  command: string
): {
  tracker: WidgetTracker<MainAreaWidget<T>>;
  show: (
    args: IViewArgs,
    label: string,
    create: () => T
  ) => Promise<{ widget: MainAreaWidget<T>; created: boolean }>;
} {
  const tracker = new WidgetTracker<MainAreaWidget<T>>({ namespace });
  void restorer?.restore(tracker, {
    command,
    args: w => ({ package: w.content.pkg, notebook: w.content.notebook }),
    name: w => w.content.pkg
  });
  const show = async (args: IViewArgs, label: string, create: () => T) => {
    const found = tracker.find(w => w.content.pkg === args.pkg);
    if (found) {
      app.shell.activateById(found.id);
      return { widget: found, created: false };
    }
    const widget = new MainAreaWidget({ content: create() });
    widget.id = `${namespace}-${args.pkg}`;
    widget.title.label = label;
    widget.title.caption = args.pkg;
    widget.title.icon = cellopsIcon;
    widget.title.closable = true;
    await tracker.add(widget);
    app.shell.add(widget, 'main');
    return { widget, created: true };
  };
  return { tracker, show };
}

export function addPackageViews(
  app: JupyterFrontEnd,
  api: CellopsApi,
  trans: TranslationBundle,
  restorer: ILayoutRestorer | null
): IPackageViews {
  let settings = DEFAULT_SETTINGS;
  const runs = trackedViews<RunsPanel>(
    app,
    restorer,
    'cellops-runs',
    CommandIDs.openRuns
  );
  const sweeps = trackedViews<SweepPanel>(
    app,
    restorer,
    'cellops-sweeps',
    CommandIDs.sweep
  );
  const openCell = async (notebook: string, index: number) => {
    const panel = await app.commands.execute('docmanager:open', {
      path: notebook
    });
    if (panel instanceof NotebookPanel) {
      await panel.context.ready;
      const cell = panel.model?.cells.get(index);
      if (cell) {
        revealCell(panel, cell.id);
      }
    }
  };
  // A view's typed parameters: the caller's, or the source notebook's analysed (not awaited:
  // the layout restorer waits for every restore command; a notebook gone leaves the form empty).
  const withParameters = (
    args: IViewArgs,
    created: boolean,
    known: IParameterInfo[] | null,
    set: (parameters: IParameterInfo[]) => void
  ) => {
    if (known) {
      set(known);
    } else if (created && args.notebook) {
      void api.analyseSaved(args.notebook).then(
        analysis => set(analysis.parameters),
        () => undefined
      );
    }
  };
  const latest = new Signal<object, IRunStatus>(runs.tracker);
  const views: IPackageViews = {
    latestChanged: latest,
    refreshRuns(pkg) {
      const found = runs.tracker.find(w => w.content.pkg === pkg);
      void found?.content.model.refresh();
    },
    async openRuns(args, parameters) {
      const { widget, created } = await runs.show(
        args,
        trans.__('Runs: %1', PathExt.basename(args.pkg)),
        () => {
          const model = new RunsModel(api, args.pkg, settings.pollingInterval);
          model.latestChanged.connect((_, run) => latest.emit(run));
          return new RunsPanel({
            ...args,
            model,
            serverRoot: PageConfig.getOption('serverRoot'),
            trans,
            onOpenExecuted: (runId, stage) =>
              void app.commands.execute('docmanager:open', {
                path: executedNotebookPath(args.pkg, runId, stage)
              }),
            onOpenCell: index =>
              args.notebook && void openCell(args.notebook, index)
          });
        }
      );
      // Not awaited: the layout restorer shows the restored layout only once every restore
      // command has settled, so a slow listing must not hold back the whole workbench.
      void widget.content.model.refresh();
      withParameters(args, created, parameters, p => {
        widget.content.parameters = p;
      });
    },
    async openSweep(args, parameters) {
      const { widget, created } = await sweeps.show(
        args,
        trans.__('Sweep: %1', PathExt.basename(args.pkg)),
        () => new SweepPanel({ ...args, api, trans })
      );
      if (created) {
        widget.content.configure(
          settings.defaultJobs,
          settings.pollingInterval
        );
      }
      withParameters(args, created, parameters, p => {
        widget.content.parameters = p;
      });
    },
    configure(next) {
      settings = next;
      runs.tracker.forEach(
        w => (w.content.model.interval = next.pollingInterval)
      );
      sweeps.tracker.forEach(w =>
        w.content.configure(next.defaultJobs, next.pollingInterval)
      );
    }
  };
  return views;
}
