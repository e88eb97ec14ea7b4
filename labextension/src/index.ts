import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ToolbarButton } from '@jupyterlab/ui-components';

import { CellopsApi } from './api';
// The commands must be in the palette and menus from the start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCommands } from './commands';
import { CommandIDs } from './lib/commands';
import { readSettings } from './lib/settings';
import { cellopsIcon } from './icons';
import { followRenames } from './models/pathsync';
// The restorer must learn the views' trackers at activation (it reopens them from the
// layout); the views' own code is loaded only when one opens.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { MainViews } from './models/views';
// The drive must be registered before a restored layout reopens an executed notebook.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { isExecutedNotebook, RunNotebookDrive, showAsRecord } from './rundrive';
// The sidebar's icon must be in the left area from the start, so it is built at activation.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { CellopsSidebar } from './sidebar';
// The restorer reopens saved runs and sweep views through their commands at start.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addPackageViews } from './views';

/**
 * The cellops sidebar, its commands (palette, cell context menu), settings and the notebook
 * toolbar's Promote button.
 */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'cellops:plugin',
  description:
    'Stages, cell tagging, Promote to pipeline and runs of the current notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer, ITranslator, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    settings: ISettingRegistry | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('cellops');
    const api = new CellopsApi();
    app.serviceManager.contents.addDrive(new RunNotebookDrive(api));
    const sidebar = new CellopsSidebar({
      api,
      tracker,
      commands: app.commands,
      trans
    });
    app.shell.add(sidebar, 'left', { rank: 600 });
    restorer?.add(sidebar, sidebar.id);

    const views = new MainViews(app, api, tracker, trans, restorer);
    const packageViews = addPackageViews(app, api, trans, restorer);
    addCommands(app, sidebar, tracker, trans, palette, views, packageViews);
    // The sidebar's latest run and the runs view stay in step, whichever started a run.
    packageViews.latestChanged.connect((_, run) => sidebar.showRun(run));
    sidebar.runStarted.connect((_, pkg) => packageViews.refreshRuns(pkg));
    if (settings) {
      void settings.load(sidebarPlugin.id).then(loaded => {
        const apply = () => {
          const read = readSettings(loaded.composite);
          packageViews.configure(read);
          sidebar.configure(read);
        };
        apply();
        loaded.changed.connect(apply);
      });
    }

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        if (isExecutedNotebook(panel.context.path)) {
          showAsRecord(panel); // a record of a run: nothing to promote
          return;
        }
        const button = new ToolbarButton({
          icon: cellopsIcon,
          label: trans.__('Promote'),
          tooltip: trans.__('Promote to pipeline'),
          className: 'jp-cellops-ToolbarPromote',
          onClick: () => {
            void app.commands.execute(CommandIDs.promote);
          }
        });
        panel.toolbar.insertItem(10, 'cellops-promote', button);
        return button;
      }
    });
  }
};

/**
 * Tells each notebook's kernel its notebook's new path after a rename or move, so that its
 * executions are recorded (and the History found) under the name the user sees.
 */
const renamesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'cellops:renames',
  description:
    "Keeps the tracking kernel told of its notebook's renames and moves.",
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker): void => {
    tracker.widgetAdded.connect((_, panel) => {
      if (!isExecutedNotebook(panel.context.path)) {
        followRenames(panel);
      }
    });
  }
};

export default [sidebarPlugin, renamesPlugin];
