import { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError, CellopsApi } from './api';
import { IAnalysis } from './tokens';

/**
 * What the sidebar shows for the current notebook.
 */
export interface IAnalysisState {
  panel: NotebookPanel | null;
  analysis: IAnalysis | null;
  error: string | null;
}

/**
 * The notebook content the analysis needs: ids, types, sources and tags (no outputs).
 *
 * Sending only this keeps a 500-cell notebook's request small, and its string form doubles as
 * the fingerprint that skips re-analysis when only outputs or execution counts changed.
 */
export function analysisContent(model: INotebookModel): {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Record<string, unknown>[];
} {
  const cells: Record<string, unknown>[] = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    const tags = cell.getMetadata('tags');
    cells.push({
      id: cell.id,
      cell_type: cell.type,
      source: cell.sharedModel.getSource(),
      metadata: Array.isArray(tags) ? { tags } : {}
    });
  }
  const kernelspec = model.getMetadata('kernelspec');
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: kernelspec ? { kernelspec } : {},
    cells
  };
}

/**
 * Follows the current notebook and re-analyses it, debounced, as it is edited.
 *
 * The unsaved content is posted, so the graph follows edits without a save. Answers that
 * arrive after a newer request was sent are dropped.
 */
export class NotebookWatcher {
  constructor(
    private readonly api: CellopsApi,
    private readonly delay = 120
  ) {}

  get changed(): ISignal<this, IAnalysisState> {
    return this._changed;
  }

  get state(): IAnalysisState {
    return this._state;
  }

  setPanel(panel: NotebookPanel | null): void {
    if (panel === this._panel) {
      return;
    }
    this._panel?.model?.contentChanged.disconnect(this._schedule, this);
    this._panel?.context.pathChanged.disconnect(this._schedule, this);
    this._panel = panel;
    this._fingerprint = '';
    this._state = { panel, analysis: null, error: null };
    this._changed.emit(this._state);
    if (!panel) {
      return;
    }
    void panel.context.ready.then(() => {
      if (this._panel !== panel || !panel.model) {
        return;
      }
      panel.model.contentChanged.connect(this._schedule, this);
      panel.context.pathChanged.connect(this._schedule, this);
      void this.refresh();
    });
  }

  /**
   * Analyse now (also what the debounce timer calls).
   */
  async refresh(): Promise<void> {
    const panel = this._panel;
    if (!panel?.model) {
      return;
    }
    const content = analysisContent(panel.model);
    const path = panel.context.path;
    const fingerprint = path + '\n' + JSON.stringify(content);
    if (fingerprint === this._fingerprint) {
      return;
    }
    this._fingerprint = fingerprint;
    const seq = ++this._seq;
    let next: IAnalysisState;
    try {
      const analysis = await this.api.analyseContent(path, content);
      next = { panel, analysis, error: null };
    } catch (error) {
      const message = error instanceof ApiError ? error.message : String(error);
      next = { panel, analysis: this._state.analysis, error: message };
      this._fingerprint = '';
    }
    if (seq !== this._seq || panel !== this._panel) {
      return;
    }
    this._state = next;
    this._changed.emit(next);
  }

  /**
   * Analyse at once, skipping the debounce (a tag set from the sidebar, not typing).
   */
  refreshNow(): void {
    window.clearTimeout(this._timer);
    void this.refresh();
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    this.setPanel(null);
  }

  private _schedule(): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => void this.refresh(), this.delay);
  }

  private _panel: NotebookPanel | null = null;
  private _state: IAnalysisState = { panel: null, analysis: null, error: null };
  private _changed = new Signal<this, IAnalysisState>(this);
  private _fingerprint = '';
  private _seq = 0;
  private _timer = 0;
}
