import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { cellopsIcon } from './icons';

/**
 * The DOM id of the cellops sidebar panel.
 */
export const SIDEBAR_ID = 'cellops-sidebar';

/**
 * The left-area panel listing the pipeline stages of the current notebook.
 *
 * For now it only shows its empty state; the stage list comes later.
 */
export class CellopsSidebar extends Widget {
  constructor(options: CellopsSidebar.IOptions = {}) {
    const trans = options.trans ?? nullTranslator.load('cellops');
    super({ node: Private.createNode(trans) });
    this.id = SIDEBAR_ID;
    this.addClass('jp-cellops-Sidebar');
    this.title.icon = cellopsIcon;
    this.title.caption = trans.__('cellops');
  }
}

export namespace CellopsSidebar {
  export interface IOptions {
    /**
     * The translation bundle for the panel's text.
     */
    trans?: TranslationBundle;
  }
}

namespace Private {
  /**
   * Build the panel's DOM: a header and a body holding the empty state.
   */
  export function createNode(trans: TranslationBundle): HTMLElement {
    const node = document.createElement('div');

    const header = document.createElement('div');
    header.className = 'jp-cellops-Sidebar-header';
    header.textContent = trans.__('cellops');

    const body = document.createElement('div');
    body.className = 'jp-cellops-Sidebar-body';
    body.appendChild(createEmptyState(trans));

    node.append(header, body);
    return node;
  }

  function createEmptyState(trans: TranslationBundle): HTMLElement {
    const empty = document.createElement('div');
    empty.className = 'jp-cellops-EmptyState';

    const icon = document.createElement('div');
    icon.className = 'jp-cellops-EmptyState-icon';
    cellopsIcon.element({ container: icon, width: '32px', height: '32px' });

    const title = document.createElement('div');
    title.className = 'jp-cellops-EmptyState-title';
    title.textContent = trans.__('No pipeline stages');

    const text = document.createElement('p');
    text.className = 'jp-cellops-EmptyState-text';
    text.textContent = trans.__(
      'Open a notebook to see its pipeline stages. Tag cells with stage:NAME, or promote the notebook as one stage.'
    );

    empty.append(icon, title, text);
    return empty;
  }
}
