import { batchCellBlits, Blit } from '../gridpaint';
import { prng } from './prng';

type Rect = [number, number, number, number];

/** Lumino's DataGrid as far as batchCellBlits sees it: each cell painted, then blitted. */
class FakeGrid {
  readonly _buffer = { id: 'buffer' } as unknown as HTMLCanvasElement;
  readonly _canvas = { id: 'canvas' } as unknown as HTMLCanvasElement;
  blits: { fromBuffer: boolean; rect: Rect; to: [number, number] }[] = [];

  _blitContent: Blit = (source, x, y, w, h, dx, dy) => {
    this.blits.push({
      fromBuffer: source === this._buffer,
      rect: [x, y, w, h],
      to: [dx, dy]
    });
  };

  _drawCells(region: { x: number; y: number; cols: number[]; rows: number[] }) {
    let x = region.x;
    for (const w of region.cols) {
      let y = region.y;
      for (const h of region.rows) {
        if (w && h) {
          this._blitContent(this._buffer, x, y, w, h, x, y);
        }
        y += h;
      }
      x += w;
    }
  }

  /** A scroll copies the canvas onto itself, shifted: never batched. */
  scroll(dy: number): void {
    this._blitContent(this._canvas, 0, dy, 100, 100, 0, 0);
  }
}

function regions(random: () => number) {
  const sizes = (n: number) =>
    Array.from({ length: n }, () => Math.floor(random() * 4) * 12);
  return Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
    x: Math.floor(random() * 50),
    y: Math.floor(random() * 50),
    cols: sizes(1 + Math.floor(random() * 8)),
    rows: sizes(1 + Math.floor(random() * 30))
  }));
}

describe('batchCellBlits', () => {
  it('copies each region once, exactly the rectangle its cells tile', () => {
    const random = prng(3);
    for (let t = 0; t < 200; t++) {
      const plain = new FakeGrid();
      const batched = new FakeGrid();
      batchCellBlits(batched);
      for (const region of regions(random)) {
        plain.blits = [];
        batched.blits = [];
        plain._drawCells(region);
        batched._drawCells(region);
        const cells = plain.blits.map(b => b.rect);
        if (!cells.length) {
          expect(batched.blits).toEqual([]);
          continue;
        }
        expect(batched.blits).toHaveLength(1);
        const [x, y, w, h] = batched.blits[0].rect;
        expect(batched.blits[0]).toMatchObject({ fromBuffer: true, to: [x, y] });
        expect(x).toBe(Math.min(...cells.map(c => c[0])));
        expect(y).toBe(Math.min(...cells.map(c => c[1])));
        // No pixel outside the cells: the box's area is the sum of theirs (they tile it).
        expect(w * h).toBe(cells.reduce((sum, c) => sum + c[2] * c[3], 0));
      }
    }
  });

  it('passes other copies through (a scroll copies the canvas onto itself)', () => {
    const grid = new FakeGrid();
    batchCellBlits(grid);
    grid.scroll(24);
    expect(grid.blits).toEqual([
      { fromBuffer: false, rect: [0, 24, 100, 100], to: [0, 0] }
    ]);
  });

  it('keeps the painting of a grid without those steps', () => {
    const other = { paint: () => 1 };
    batchCellBlits(other);
    expect(Object.keys(other)).toEqual(['paint']);
  });
});
