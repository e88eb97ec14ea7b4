import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { ToolbarButton } from '@jupyterlab/ui-components';

import { CellopsApi } from './api';
import { cellopsIcon } from './icons';
// The drive must be registered before a restored layout reopens an executed notebook.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { isExecutedNotebook, RunNotebookDrive, showAsRecord } from './rundrive';
// The sidebar's icon must be in the left area from the start, so it is built at activation.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { CellopsSidebar } from './sidebar';

namespace CommandIDs {
  export const promote = 'cellops:promote';
  export const show = 'cellops:show-sidebar';
  export const experiments = 'cellops:experiments';
}

/**
 * The cellops sidebar, the Promote command, its palette entry and notebook toolbar button.
 */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'cellops:sidebar',
  description:
    'Stages, cell tagging, Promote to pipeline and runs of the current notebook.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
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

    app.commands.addCommand(CommandIDs.promote, {
      label: trans.__('Promote to pipeline'),
      caption: trans.__('Turn this notebook into a papermill pipeline package'),
      icon: cellopsIcon,
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        app.shell.activateById(sidebar.id);
        await sidebar.promote(tracker.currentWidget);
      }
    });
    app.commands.addCommand(CommandIDs.experiments, {
      label: trans.__('Experiments of this notebook'),
      caption: trans.__('Every recorded cell execution: compare, filter, plot'),
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => tracker.currentWidget !== null,
      execute: async () => {
        const path = tracker.currentWidget?.context.path;
        if (!path) {
          return;
        }
        const { ExperimentsWidget } = await import('./experiments');
        const content = new ExperimentsWidget(api, path, trans);
        const widget = new MainAreaWidget({ content });
        widget.id = `cellops-experiments-${path}`;
        widget.title.label = trans.__(
          'Experiments: %1',
          PathExt.basename(path)
        );
        widget.title.icon = cellopsIcon;
        widget.title.closable = true;
        app.shell.add(widget, 'main');
      }
    });
    app.commands.addCommand(CommandIDs.show, {
      label: trans.__('Show the cellops sidebar'),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => app.shell.activateById(sidebar.id)
    });
    const category = trans.__('cellops');
    palette?.addItem({ command: CommandIDs.promote, category });
    palette?.addItem({ command: CommandIDs.show, category });
    palette?.addItem({ command: CommandIDs.experiments, category });

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

export default [sidebarPlugin];
