import { NotebookPanel } from '@jupyterlab/notebook';

import { IAnalysis } from './tokens';

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
 * A small coloured badge on every cell naming its stage (or its role: setup, skip, parameters).
 */
export function paintBadges(
  panel: NotebookPanel,
  analysis: IAnalysis | null,
  colors: Map<string, string>
): void {
  const info = new Map((analysis?.cells ?? []).map(c => [c.id, c]));
  for (const cell of panel.content.widgets) {
    let badge = cell.node.querySelector(
      `:scope > .${BADGE_CLASS}`
    ) as HTMLElement | null;
    const c = info.get(cell.model.id);
    const label =
      c?.role === 'parameters' || c?.role === 'setup' || c?.role === 'skip'
        ? c.role
        : (c?.stage ?? null);
    if (!label || !analysis || analysis.dialect === 'untagged') {
      badge?.remove();
      continue;
    }
    if (!badge) {
      badge = document.createElement('div');
      badge.className = BADGE_CLASS;
      cell.node.insertBefore(badge, cell.node.firstChild);
    }
    badge.textContent = label;
    badge.dataset.stage = c?.stage ?? '';
    badge.title =
      c?.stage && label === c.stage
        ? `cellops stage ${label}`
        : `cellops: ${label} cell`;
    const color = c?.stage && label === c.stage ? colors.get(c.stage) : '';
    badge.style.background = color ?? '';
    badge.classList.toggle('jp-mod-role', label !== c?.stage);
  }
}
