import { ISignal, Signal } from '@lumino/signaling';

import { CellopsApi } from '../api';
import { mergeRuns, RUNS_PAGE } from '../lib/runpages';
import { sortRuns } from '../lib/runs';
import { IRunStatus } from '../tokens';
import { StatusPoll } from './poll';

/**
 * The runs of one package for the runs view: the list, the selected run, and the actions
 * (run, re-run, resume, cancel). The list is read a page at a time, newest first: a package
 * with a thousand runs opens as fast as one with ten, and older pages load as the user
 * scrolls. While runs are running only those are polled; the newest page is fetched again
 * when one of them ends (a run from the command line shows up then too).
 */
export class RunsModel {
  constructor(
    private readonly api: CellopsApi,
    readonly pkg: string,
    interval: number
  ) {
    this._poll = new StatusPoll<IRunStatus[]>({
      name: 'cellops:runs-view',
      interval,
      fetch: () => this._fetchRunning(),
      onValue: updated => this._merge(updated),
      onError: error => this._fail(error)
    });
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The newest run, each time the view learns something new about it. */
  get latestChanged(): ISignal<this, IRunStatus> {
    return this._latestChanged;
  }

  /** Newest first. */
  get runs(): readonly IRunStatus[] {
    return this._runs;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string | null {
    return this._error;
  }

  /** Older runs than those listed are still on the server. */
  get hasMore(): boolean {
    return this._next !== null;
  }

  get selected(): IRunStatus | null {
    return (
      this._runs.find(r => r.id === this._selected) ?? this._runs[0] ?? null
    );
  }

  select(id: string): void {
    this._selected = id;
    this._emit();
  }

  isCancelling(id: string): boolean {
    return this._cancelling.has(id);
  }

  set interval(ms: number) {
    this._poll.interval = ms;
  }

  /** Fetch the newest page (older pages loaded stay), then follow what is running. */
  async refresh(): Promise<void> {
    try {
      const list = await this.api.listRuns(this.pkg, { limit: RUNS_PAGE });
      if (this._older) {
        this._runs = mergeRuns(this._runs, list.runs);
      } else {
        this._runs = sortRuns(list.runs);
        this._next = list.next;
      }
      this._error = list.promoted
        ? null
        : `${this.pkg} holds no pipeline: promote the notebook first`;
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._loaded = true;
    this._emit();
    this._follow();
  }

  /** Load the next page of older runs (the list's end scrolled into view). */
  async loadMore(): Promise<void> {
    const before = this._next;
    if (before === null || this._loadingMore) {
      return;
    }
    this._loadingMore = true;
    try {
      const list = await this.api.listRuns(this.pkg, {
        limit: RUNS_PAGE,
        before
      });
      this._older = true;
      this._runs = mergeRuns(this._runs, list.runs);
      this._next = list.next;
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._loadingMore = false;
    this._emit();
  }

  /** Start a new run with these parameters (the run form, or Re-run of an earlier run). */
  start(params: Record<string, unknown>): Promise<void> {
    return this._launch({ package: this.pkg, params });
  }

  /** Continue the failed latest run: its finished stages are not run again. */
  resume(): Promise<void> {
    return this._launch({ package: this.pkg, resume: true });
  }

  async cancel(id: string): Promise<void> {
    if (this._cancelling.has(id)) {
      return;
    }
    // The server answers once the kernels have stopped, which takes a while: say so now.
    this._cancelling.add(id);
    this._emit();
    try {
      this._merge([await this.api.cancelRun(this.pkg, id)]);
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._cancelling.delete(id);
    this._emit();
  }

  dispose(): void {
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _launch(request: {
    package: string;
    params?: Record<string, unknown>;
    resume?: boolean;
  }): Promise<void> {
    this._error = null;
    try {
      const started = await this.api.startRun(request);
      this._selected = started.id;
      const status = await this.api.runStatus(this.pkg, started.id);
      this._runs = sortRuns([
        status,
        ...this._runs.filter(r => r.id !== status.id)
      ]);
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._emit();
    this._follow();
  }

  private _follow(): void {
    if (this._runs.some(r => r.status === 'running')) {
      this._poll.start();
    }
  }

  private async _fetchRunning(): Promise<IRunStatus[]> {
    const running = this._runs.filter(r => r.status === 'running');
    const updated = await Promise.all(
      running.map(r => this.api.runStatus(this.pkg, r.id))
    );
    if (updated.some(r => r.status !== 'running')) {
      // One ended: the list (other runs, records written by the command line) may have too.
      return (await this.api.listRuns(this.pkg, { limit: RUNS_PAGE })).runs;
    }
    return updated;
  }

  /** Take the newer statuses in; true while something still runs (the poll goes on). */
  private _merge(updated: IRunStatus[]): boolean {
    this._runs = mergeRuns(this._runs, updated);
    this._error = null;
    this._emit();
    return this._runs.some(r => r.status === 'running');
  }

  private _emit(): void {
    this._changed.emit();
    const newest = this._runs[0];
    if (newest && newest !== this._lastLatest) {
      this._lastLatest = newest;
      this._latestChanged.emit(newest);
    }
  }

  private _fail(error: Error): void {
    this._error = error.message;
    this._emit();
  }

  private _runs: IRunStatus[] = [];
  private _lastLatest: IRunStatus | null = null;
  private _loaded = false;
  private _next: string | null = null;
  /** An older page was loaded: a refresh merges into the list instead of replacing it. */
  private _older = false;
  private _loadingMore = false;
  private _selected = '';
  private _error: string | null = null;
  private _cancelling = new Set<string>();
  private _poll: StatusPoll<IRunStatus[]>;
  private _changed = new Signal<this, void>(this);
  private _latestChanged = new Signal<this, IRunStatus>(this);
}
