/**
 * Painting Lumino's DataGrid faster on a canvas without a GPU (the experiments grid).
 */

/** Lumino's copy of a rectangle from `source` to the screen canvas. */
export type Blit = (
  source: HTMLCanvasElement,
  x: number,
  y: number,
  w: number,
  h: number,
  dx: number,
  dy: number
) => void;

/** The two private painting steps of Lumino's DataGrid (2.x) that `batchCellBlits` wraps. */
interface IPaintSteps {
  _buffer: HTMLCanvasElement;
  _blitContent: Blit;
  _drawCells(region: unknown): void;
}

/**
 * One copy per painted region instead of one per cell. Lumino paints each cell into an
 * off-screen buffer and copies it to the screen at once; without a GPU every such copy makes
 * Chromium snapshot the whole buffer (6 MB), so a screen of 150 cells took 350 ms. The cells
 * of a region tile a rectangle at the same place in the buffer and on the screen, so copying
 * their bounding box once at the end of the region draws the same pixels. A Lumino without
 * these steps keeps its own painting.
 */
export function batchCellBlits(grid: object): void {
  const steps = grid as unknown as IPaintSteps;
  if (
    typeof steps._drawCells !== 'function' ||
    typeof steps._blitContent !== 'function'
  ) {
    return;
  }
  const drawCells = steps._drawCells.bind(grid);
  const blit = steps._blitContent.bind(grid);
  steps._drawCells = (region: unknown) => {
    let box: { x1: number; y1: number; x2: number; y2: number } | null = null;
    steps._blitContent = (source, x, y, w, h, dx, dy) => {
      if (source !== steps._buffer || x !== dx || y !== dy) {
        blit(source, x, y, w, h, dx, dy);
        return;
      }
      box = box ?? { x1: x, y1: y, x2: x + w, y2: y + h };
      box.x1 = Math.min(box.x1, x);
      box.y1 = Math.min(box.y1, y);
      box.x2 = Math.max(box.x2, x + w);
      box.y2 = Math.max(box.y2, y + h);
    };
    try {
      drawCells(region);
    } finally {
      steps._blitContent = blit;
      const b = box as {
        x1: number;
        y1: number;
        x2: number;
        y2: number;
      } | null;
      if (b) {
        blit(steps._buffer, b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1, b.x1, b.y1);
      }
    }
  };
}
