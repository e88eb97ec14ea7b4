import { NotebookPanel } from '@jupyterlab/notebook';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { CellopsApi } from './api';

/**
 * Executed stage notebooks live under the package's hidden `.cellops/` folder, which Jupyter's
 * contents API does not serve. This read-only drive opens them through cellops' own route, so
 * they show as ordinary (read-only) notebooks in JupyterLab.
 *
 * Paths: `cellops-runs:PACKAGE/RUN_ID/STAGE.ipynb`.
 */
export const RUN_DRIVE = 'cellops-runs';

export function executedNotebookPath(
  pkg: string,
  runId: string,
  stage: string
): string {
  return `${RUN_DRIVE}:${pkg}/${runId}/${stage}.ipynb`;
}

export function isExecutedNotebook(path: string): boolean {
  return path.startsWith(`${RUN_DRIVE}:`);
}

/**
 * Show an executed stage notebook as the record it is: no kernel (running it again would
 * change what the run produced, and start a kernel nobody asked for) and no editing.
 *
 * Called when the panel is created, before its context starts a session, so it holds for a
 * notebook reopened by a restored layout as well.
 */
export function showAsRecord(panel: NotebookPanel): void {
  const session = panel.sessionContext;
  session.kernelPreference = {
    ...session.kernelPreference,
    shouldStart: false,
    canStart: false,
    autoStartDefault: false
  };
  panel.addClass('jp-cellops-mod-record');
  const lock = () => {
    for (const cell of panel.content.widgets) {
      cell.readOnly = true;
    }
  };
  void panel.context.ready.then(lock);
  panel.content.model?.cells.changed.connect(lock);
  panel.content.modelChanged.connect(() => {
    panel.content.model?.cells.changed.connect(lock);
    lock();
  });
}

function parse(localPath: string): {
  pkg: string;
  runId: string;
  stage: string;
} {
  const parts = localPath.split('/');
  if (parts.length < 3 || !parts[parts.length - 1].endsWith('.ipynb')) {
    throw new Error(`not an executed stage notebook: ${localPath}`);
  }
  const file = parts.pop()!;
  const runId = parts.pop()!;
  return {
    pkg: parts.join('/'),
    runId,
    stage: file.slice(0, -'.ipynb'.length)
  };
}

export class RunNotebookDrive implements Contents.IDrive {
  constructor(private readonly api: CellopsApi) {
    this.serverSettings = ServerConnection.makeSettings();
  }

  readonly name = RUN_DRIVE;
  readonly serverSettings: ServerConnection.ISettings;

  get fileChanged(): ISignal<this, Contents.IChangedArgs> {
    return this._fileChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    this._disposed = true;
  }

  async get(localPath: string): Promise<Contents.IModel> {
    const { pkg, runId, stage } = parse(localPath);
    const content = await this.api.request<unknown>(
      `runs/${encodeURIComponent(runId)}/notebook`,
      { query: { package: pkg, stage } }
    );
    const now = new Date().toISOString();
    return {
      name: `${stage}.ipynb`,
      path: localPath,
      type: 'notebook',
      format: 'json',
      mimetype: 'application/x-ipynb+json',
      content,
      writable: false,
      created: now,
      last_modified: now
    };
  }

  getDownloadUrl(): Promise<string> {
    return this.readOnly();
  }
  newUntitled(): Promise<Contents.IModel> {
    return this.readOnly();
  }
  delete(): Promise<void> {
    return this.readOnly();
  }
  rename(): Promise<Contents.IModel> {
    return this.readOnly();
  }
  save(): Promise<Contents.IModel> {
    return this.readOnly();
  }
  copy(): Promise<Contents.IModel> {
    return this.readOnly();
  }
  async createCheckpoint(): Promise<Contents.ICheckpointModel> {
    return { id: 'executed', last_modified: new Date().toISOString() };
  }
  async listCheckpoints(): Promise<Contents.ICheckpointModel[]> {
    return [];
  }
  restoreCheckpoint(): Promise<void> {
    return this.readOnly();
  }
  deleteCheckpoint(): Promise<void> {
    return this.readOnly();
  }

  private readOnly(): Promise<never> {
    return Promise.reject(
      new Error(
        'An executed stage notebook is a read-only record of a run; use "Save As" to keep a copy.'
      )
    );
  }

  private _fileChanged = new Signal<this, Contents.IChangedArgs>(this);
  private _disposed = false;
}
