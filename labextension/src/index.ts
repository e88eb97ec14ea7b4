import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { CellopsSidebar } from './sidebar';

/**
 * The cellops sidebar: a left-area panel for the current notebook's pipeline.
 */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'cellops:sidebar',
  description: 'Adds the cellops pipeline panel to the left sidebar.',
  autoStart: true,
  optional: [ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('cellops');
    const sidebar = new CellopsSidebar({ trans });
    app.shell.add(sidebar, 'left', { rank: 600 });
    if (restorer) {
      restorer.add(sidebar, sidebar.id);
    }
  }
};

export default [sidebarPlugin];
