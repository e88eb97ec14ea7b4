import { ICodeCellModel } from '@jupyterlab/cells';
import * as nbformat from '@jupyterlab/nbformat';
import { NotebookActions } from '@jupyterlab/notebook';

/** What one output of a version keeps: a bounded copy of what JupyterLab rendered. */
export interface IKeptOutput {
  type: 'text' | 'image' | 'error';
  text?: string;
  /** A data: URL (PNG/JPEG/SVG). */
  src?: string;
}

interface IEntry {
  path: string;
  cellId: string;
  count: number;
  /** Seconds since the epoch when the cell finished, to tell apart counts of two sessions. */
  at: number;
  outputs: IKeptOutput[];
}

const KEY = 'cellops:outputs:v1';
/** Older versions are dropped first: localStorage holds a few MB per origin. */
const MAX_ENTRIES = 300;
const MAX_TEXT = 4000;
const MAX_IMAGE = 300_000;

function text(value: nbformat.MultilineString | undefined): string {
  const s = Array.isArray(value) ? value.join('') : (value ?? '');
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

/** The outputs worth keeping of a cell's outputs (nbformat JSON), bounded in size. */
export function keptOutputs(outputs: nbformat.IOutput[]): IKeptOutput[] {
  const out: IKeptOutput[] = [];
  for (const o of outputs) {
    if (nbformat.isStream(o)) {
      out.push({ type: 'text', text: text(o.text) });
    } else if (nbformat.isError(o)) {
      out.push({ type: 'error', text: `${o.ename}: ${o.evalue}` });
    } else if (nbformat.isExecuteResult(o) || nbformat.isDisplayData(o)) {
      const data = o.data;
      const image = (['image/png', 'image/jpeg'] as const).find(
        m => typeof data[m] === 'string'
      );
      if (image && (data[image] as string).length <= MAX_IMAGE) {
        out.push({ type: 'image', src: `data:${image};base64,${data[image]}` });
      } else if (typeof data['image/svg+xml'] === 'string') {
        const svg = text(data['image/svg+xml'] as string);
        out.push({
          type: 'image',
          src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`
        });
      } else if (data['text/plain'] !== undefined) {
        out.push({
          type: 'text',
          text: text(data['text/plain'] as nbformat.MultilineString)
        });
      }
    }
  }
  return out;
}

/**
 * The outputs of the cell executions this JupyterLab saw, kept in the browser: the tracking
 * store records code, parameters, metrics and errors, not outputs, and a version's outputs
 * are what a user compares by eye (Verdant keeps them the same way).
 */
export class OutputArchive {
  constructor(private readonly storage: Storage | null = safeStorage()) {
    NotebookActions.executed.connect((_, args) => {
      const model = args.cell.model;
      if (model.type !== 'code') {
        return;
      }
      const code = model as ICodeCellModel;
      if (code.executionCount === null) {
        return;
      }
      this.add({
        path: args.notebook.parent
          ? ((args.notebook.parent as unknown as { context?: { path: string } })
              .context?.path ?? '')
          : '',
        cellId: model.id,
        count: code.executionCount,
        at: Date.now() / 1000,
        outputs: keptOutputs(code.outputs.toJSON())
      });
    }, this);
  }

  /**
   * The outputs of the execution numbered `count` of a cell that ended at `ended` (seconds),
   * or null when this browser did not see it.
   */
  find(
    path: string,
    cellId: string,
    count: number | null,
    ended: number | null
  ): IKeptOutput[] | null {
    if (count === null) {
      return null;
    }
    let best: IEntry | null = null;
    for (const e of this.entries()) {
      if (e.path !== path || e.cellId !== cellId || e.count !== count) {
        continue;
      }
      // The same count comes back after a kernel restart: take the one seen closest in time.
      if (
        best === null ||
        (ended !== null && Math.abs(e.at - ended) < Math.abs(best.at - ended))
      ) {
        best = e;
      }
    }
    return best?.outputs ?? null;
  }

  private add(entry: IEntry): void {
    const all = [...this.entries(), entry].slice(-MAX_ENTRIES);
    this._cache = all;
    try {
      this.storage?.setItem(KEY, JSON.stringify(all));
    } catch {
      // Full: keep the newer half. Outputs are a convenience, never worth an error.
      this._cache = all.slice(Math.floor(all.length / 2));
      try {
        this.storage?.setItem(KEY, JSON.stringify(this._cache));
      } catch {
        /* still full: memory only */
      }
    }
  }

  private entries(): IEntry[] {
    if (this._cache === null) {
      try {
        const raw = this.storage?.getItem(KEY);
        this._cache = raw ? (JSON.parse(raw) as IEntry[]) : [];
      } catch {
        this._cache = [];
      }
    }
    return this._cache;
  }

  private _cache: IEntry[] | null = null;
}

function safeStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
