import { ICodeCellModel } from '@jupyterlab/cells';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { isExecutedNotebook } from '../rundrive';

/** The cell whose history is shown. */
export interface IHistoryTarget {
  panel: NotebookPanel;
  path: string;
  cellId: string;
  /** The cell's number as JupyterLab shows it (from 1). */
  cellNumber: number;
  /** Changes whenever the cell ran again: the list is fetched anew. */
  version: string;
  /**
   * The execution count of a run of this cell just seen finishing. The kernel's background
   * writer commits its record a little later: the view fetches again until it is there.
   */
  awaitCount: number | null;
}

/**
 * Follows the active cell of the current notebook (the way Verdant's history follows it)
 * and the executions JupyterLab sees finishing.
 */
export class HistoryModel {
  constructor(private readonly tracker: INotebookTracker) {
    tracker.currentChanged.connect(this._emit, this);
    tracker.activeCellChanged.connect(this._emit, this);
    NotebookActions.executed.connect((_, args) => {
      const model = args.cell.model;
      this._awaited = {
        cellId: model.id,
        count:
          model.type === 'code'
            ? (model as ICodeCellModel).executionCount
            : null
      };
      this._executions++;
      this._emit();
      const panel = tracker.find(p => p.content === args.notebook);
      if (panel) {
        this._executed.emit(panel.context.path);
      }
    }, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** A cell of the notebook at this path finished running (its record follows shortly). */
  get executed(): ISignal<this, string> {
    return this._executed;
  }

  /** The active cell of the current (source) notebook, or null. */
  get target(): IHistoryTarget | null {
    const panel = this.tracker.currentWidget;
    const cell = panel?.content.activeCell;
    if (!panel || !cell || isExecutedNotebook(panel.context.path)) {
      return null;
    }
    const id = cell.model.id;
    const count =
      cell.model.type === 'code'
        ? (cell.model as ICodeCellModel).executionCount
        : null;
    return {
      panel,
      path: panel.context.path,
      cellId: id,
      cellNumber: panel.content.activeCellIndex + 1,
      version: `${count}:${this._executions}`,
      awaitCount: this._awaited?.cellId === id ? this._awaited.count : null
    };
  }

  /** The source of the cell with id `cellId` in `panel` now ('' when it is gone). */
  code(panel: NotebookPanel, cellId: string): string {
    const cells = panel.content.model?.sharedModel.cells ?? [];
    return cells.find(c => c.id === cellId)?.getSource() ?? '';
  }

  /** Put `code` back into the cell (one undoable edit of the shared model). */
  restore(panel: NotebookPanel, cellId: string, code: string): boolean {
    const cells = panel.content.model?.sharedModel.cells ?? [];
    const cell = cells.find(c => c.id === cellId);
    if (!cell) {
      return false;
    }
    cell.setSource(code);
    return true;
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _emit(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _executed = new Signal<this, string>(this);
  private _executions = 0;
  private _awaited: { cellId: string; count: number | null } | null = null;
}
