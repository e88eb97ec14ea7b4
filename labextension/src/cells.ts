import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { IAnalysis, ICellInfo } from './tokens';

/**
 * Index of the cell with this id in the panel's notebook, or -1.
 */
export function cellIndex(panel: NotebookPanel, cellId: string): number {
  const cells = panel.model?.cells;
  if (!cells) {
    return -1;
  }
  for (let i = 0; i < cells.length; i++) {
    if (cells.get(i).id === cellId) {
      return i;
    }
  }
  return -1;
}

/**
 * Make the cell active and scroll it into view (stage or diagnostic clicked).
 */
export function revealCell(panel: NotebookPanel, cellId: string): void {
  const index = cellIndex(panel, cellId);
  if (index < 0) {
    return;
  }
  const notebook = panel.content;
  notebook.activeCellIndex = index;
  const cell = notebook.widgets[index];
  if (cell) {
    void notebook.scrollToCell(cell, 'start');
  }
}

/** Every cell's id and tags, in notebook order. */
export function notebookCells(
  panel: NotebookPanel
): { id: string; tags: string[] }[] {
  const cells = panel.model?.cells;
  const out: { id: string; tags: string[] }[] = [];
  for (let i = 0; i < (cells?.length ?? 0); i++) {
    const cell = cells!.get(i);
    const tags = cell.getMetadata('tags');
    out.push({
      id: cell.id,
      tags: Array.isArray(tags) ? tags.filter(t => typeof t === 'string') : []
    });
  }
  return out;
}

export function cellTags(panel: NotebookPanel, cellId: string): string[] {
  const index = cellIndex(panel, cellId);
  if (index < 0) {
    return [];
  }
  const tags = panel.model!.cells.get(index).getMetadata('tags');
  return Array.isArray(tags) ? tags.filter(t => typeof t === 'string') : [];
}

/**
 * Write a cell's standard `metadata.tags` (an empty list removes the key).
 */
export function setCellTags(
  panel: NotebookPanel,
  cellId: string,
  tags: string[]
): void {
  const index = cellIndex(panel, cellId);
  if (index < 0) {
    return;
  }
  const model = panel.model!.cells.get(index);
  const unique = [...new Set(tags)];
  if (unique.length) {
    model.setMetadata('tags', unique);
  } else {
    model.deleteMetadata('tags');
  }
}

const BADGE_CLASS = 'jp-cellops-Badge';

/**
 * Small coloured badges on the cells naming their stage (or role: setup, skip, parameters).
 *
 * Cells outside the viewport render lazily and rebuild their DOM, so a cell is painted again
 * when it enters the viewport, from the last analysis.
 */
export class BadgePainter {
  update(
    panel: NotebookPanel,
    analysis: IAnalysis | null,
    colors: Map<string, string>
  ): void {
    if (panel !== this._panel) {
      this._panel?.content.cellInViewportChanged.disconnect(
        this._onViewport,
        this
      );
      panel.content.cellInViewportChanged.connect(this._onViewport, this);
      this._panel = panel;
    }
    this._tagged = analysis !== null && analysis.dialect !== 'untagged';
    this._info = new Map((analysis?.cells ?? []).map(c => [c.id, c]));
    this._colors = colors;
    for (const cell of panel.content.widgets) {
      this.paint(cell);
    }
  }

  paint(cell: Cell): void {
    if (cell.isPlaceholder()) {
      // Its DOM is built when it first scrolls into view; paint it then.
      if (!this._waiting.has(cell)) {
        this._waiting.add(cell);
        void cell.ready.then(() => this.paint(cell));
      }
      return;
    }
    let badge = cell.node.querySelector(
      `:scope > .${BADGE_CLASS}`
    ) as HTMLElement | null;
    const c = this._info.get(cell.model.id);
    const role = c && c.role !== 'stage' && c.role !== 'none' ? c.role : null;
    const label = role ?? c?.stage ?? null;
    if (!label || !this._tagged || !this.enabled) {
      badge?.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement('div');
      badge.className = BADGE_CLASS;
      cell.node.insertBefore(badge, cell.node.firstChild);
    }
    badge.textContent = label;
    badge.title = role ? `cellops: ${role} cell` : `cellops stage ${label}`;
    badge.style.background = role ? '' : (this._colors.get(label) ?? '');
    badge.classList.toggle('jp-mod-role', role !== null);
  }

  private _onViewport(_: unknown, cell: Cell): void {
    this.paint(cell);
  }

  /** The user's showBadges setting. */
  enabled = true;

  private _panel: NotebookPanel | null = null;
  private _info = new Map<string, ICellInfo>();
  private _colors = new Map<string, string>();
  private _tagged = false;
  private _waiting = new WeakSet<Cell>();
}
