// This module is loaded only by the experiments view, itself loaded with import().
// eslint-disable-next-line jupyter/prefer-lazy-imports
import {
  BasicKeyHandler,
  BasicMouseHandler,
  BasicSelectionModel,
  DataGrid,
  DataModel,
  RendererMap,
  TextRenderer
} from '@lumino/datagrid';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { batchCellBlits } from '../lib/gridpaint';
import { IExperimentRow } from '../tokens';

const ROW = 24;
const HEADER = 26;

export interface IGridColumn {
  key: string;
  title: string;
  text: (row: IExperimentRow) => string;
}

/** The rows and columns of the grid, as Lumino's data model (it draws only what is in view). */
class RowsModel extends DataModel {
  constructor(
    readonly columns: IGridColumn[],
    readonly rows: IExperimentRow[],
    private readonly sortedBy: { key: string; descending: boolean }
  ) {
    super();
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this.rows.length : 1;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this.columns.length : 1;
  }

  data(region: DataModel.CellRegion, row: number, column: number): unknown {
    if (region === 'column-header') {
      const c = this.columns[column];
      const mark =
        this.sortedBy.key === c.key
          ? this.sortedBy.descending
            ? ' ▼'
            : ' ▲'
          : '';
      return c.title + mark;
    }
    if (region === 'row-header') {
      return String(row + 1);
    }
    if (region === 'corner-header') {
      return '';
    }
    return this.columns[column].text(this.rows[row]);
  }
}

/** A click on a column header sorts by it; the rest is Lumino's row selection. */
class SortingMouseHandler extends BasicMouseHandler {
  constructor(private readonly onHeader: (column: number) => void) {
    super();
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    const hit = grid.hitTest(event.clientX, event.clientY);
    if (hit.region === 'column-header' && event.button === 0) {
      this.onHeader(hit.column);
      return;
    }
    super.onMouseDown(grid, event);
  }
}

/** The grid's colours from JupyterLab's theme variables (a canvas does not read CSS). */
function themeStyle(node: HTMLElement): DataGrid.Style {
  const css = getComputedStyle(node);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    ...DataGrid.defaultStyle,
    voidColor: v('--jp-layout-color0'),
    backgroundColor: v('--jp-layout-color0'),
    rowBackgroundColor: i =>
      i % 2 === 0 ? v('--jp-layout-color0') : v('--jp-layout-color1'),
    headerBackgroundColor: v('--jp-layout-color2'),
    gridLineColor: v('--jp-border-color3'),
    headerGridLineColor: v('--jp-border-color2'),
    selectionFillColor: 'rgba(33, 150, 243, 0.25)',
    selectionBorderColor: v('--jp-brand-color1'),
    cursorBorderColor: v('--jp-brand-color1')
  };
}

function renderers(node: HTMLElement): RendererMap {
  const css = getComputedStyle(node);
  return new RendererMap(
    {},
    new TextRenderer({
      textColor: css.getPropertyValue('--jp-ui-font-color1').trim(),
      font: `${css.getPropertyValue('--jp-ui-font-size1').trim() || '13px'} ${css.getPropertyValue('--jp-ui-font-family').trim() || 'sans-serif'}`
    })
  );
}

/**
 * The experiments table: a virtualised Lumino DataGrid (thousands of rows drawn in a few
 * milliseconds), sorted by a header click, rows selected with click / Ctrl+click or the
 * arrow keys (Shift extends); the last two selected rows are reported for comparing.
 */
export function ExperimentsGrid(props: {
  columns: IGridColumn[];
  rows: IExperimentRow[];
  sortedBy: { key: string; descending: boolean };
  label: string;
  onSort: (key: string) => void;
  onSelect: (ids: number[]) => void;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const grid = React.useRef<DataGrid | null>(null);
  const handlers = React.useRef(props);
  handlers.current = props;

  React.useEffect(() => {
    const node = host.current!;
    const g = new DataGrid({
      style: themeStyle(node),
      defaultSizes: {
        rowHeight: ROW,
        columnWidth: 110,
        rowHeaderWidth: 56,
        columnHeaderHeight: HEADER
      }
    });
    g.addClass('jp-cellops-Grid');
    batchCellBlits(g);
    g.keyHandler = new BasicKeyHandler();
    g.mouseHandler = new SortingMouseHandler(column => {
      const key = handlers.current.columns[column]?.key;
      if (key) {
        handlers.current.onSort(key);
      }
    });
    // Set once: each assignment repaints the whole grid (a paint of a few hundred cells is
    // tens of milliseconds on a canvas without a GPU).
    g.cellRenderers = renderers(node);
    g.node.setAttribute('role', 'grid');
    g.node.tabIndex = 0;
    Widget.attach(g, node);
    grid.current = g;
    // The theme can change while the view is open (JupyterLab Dark, high contrast).
    const restyle = new MutationObserver(() => {
      g.style = themeStyle(node);
      g.cellRenderers = renderers(node);
    });
    restyle.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
    const resize = new ResizeObserver(() =>
      MessageLoop.sendMessage(g, Widget.ResizeMessage.UnknownSize)
    );
    resize.observe(node);
    return () => {
      restyle.disconnect();
      resize.disconnect();
      Widget.detach(g);
      g.dispose();
      grid.current = null;
    };
  }, []);

  React.useEffect(() => {
    const g = grid.current;
    const node = host.current;
    if (!g || !node) {
      return;
    }
    const model = new RowsModel(props.columns, props.rows, props.sortedBy);
    g.dataModel = model;
    const selection = new BasicSelectionModel({
      dataModel: model,
      selectionMode: 'row'
    });
    g.selectionModel = selection;
    g.node.setAttribute('aria-label', props.label);
    g.node.setAttribute('aria-rowcount', String(props.rows.length + 1));
    g.node.setAttribute('aria-colcount', String(props.columns.length));
    selection.changed.connect(() => {
      const picked: number[] = [];
      for (const s of selection.selections()) {
        for (let r = Math.min(s.r1, s.r2); r <= Math.max(s.r1, s.r2); r++) {
          const id = model.rows[r]?.id;
          if (id !== undefined) {
            const seen = picked.indexOf(id);
            if (seen >= 0) {
              picked.splice(seen, 1);
            }
            picked.push(id); // the latest pick last
          }
        }
      }
      handlers.current.onSelect(picked.slice(-2));
    });
  }, [props.columns, props.rows, props.sortedBy]);

  return (
    <div
      ref={host}
      className="jp-cellops-GridHost"
      data-rows={props.rows.length}
      // As tall as the rows up to the CSS maximum: a few rows leave no empty canvas.
      style={{
        height: `min(60vh, 520px, ${HEADER + ROW * props.rows.length + 18}px)`
      }}
    />
  );
}
