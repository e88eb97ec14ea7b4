import { Dialog, showDialog } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { DEFAULT_SETTINGS } from './lib/settings';
import { IPromoteRequest } from './tokens';

/**
 * The package a notebook promotes to by default: the target pattern, next to the notebook.
 */
export function defaultPackage(
  notebookPath: string,
  pattern: string = DEFAULT_SETTINGS.promoteTarget
): string {
  const dir = PathExt.dirname(notebookPath);
  const stem = PathExt.basename(notebookPath, PathExt.extname(notebookPath));
  return PathExt.join(dir, pattern.split('{name}').join(stem));
}

export function defaultName(notebookPath: string): string {
  const stem = PathExt.basename(notebookPath, PathExt.extname(notebookPath));
  return (
    stem
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[^a-z]+/, '') || 'pipeline'
  );
}

class PromoteForm
  extends Widget
  implements Dialog.IBodyWidget<IPromoteRequest>
{
  constructor(
    private readonly notebookPath: string,
    target: string,
    trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-cellops-PromoteForm');
    this._name = this.field(trans.__('Pipeline name'), 'name');
    this._name.value = defaultName(notebookPath);
    this._target = this.field(trans.__('Target folder'), 'target');
    this._target.value = target;
  }

  getValue(): IPromoteRequest {
    return {
      path: this.notebookPath,
      name: this._name.value.trim() || undefined,
      target: this._target.value.trim() || undefined
    };
  }

  private field(label: string, key: string): HTMLInputElement {
    const row = document.createElement('label');
    row.className = 'jp-cellops-FormRow';
    const span = document.createElement('span');
    span.textContent = label;
    const input = document.createElement('input');
    input.className = 'jp-mod-styled';
    input.dataset.field = key;
    row.append(span, input);
    this.node.appendChild(row);
    return input;
  }

  private _name: HTMLInputElement;
  private _target: HTMLInputElement;
}

/**
 * Ask for the pipeline name and target folder; null when cancelled.
 */
export async function askPromote(
  notebookPath: string,
  target: string,
  trans: TranslationBundle
): Promise<IPromoteRequest | null> {
  const result = await showDialog({
    title: trans.__('Promote to pipeline'),
    body: new PromoteForm(notebookPath, target, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Promote') })
    ]
  });
  return result.button.accept ? result.value : null;
}
