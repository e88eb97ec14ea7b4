import { ISignal, Signal } from '@lumino/signaling';

import { CellopsApi } from './api';
import { DEFAULT_SETTINGS } from './lib/settings';
import { StatusPoll } from './models/poll';
import { IRunStatus } from './tokens';

/**
 * Starts and follows the latest run of one package at a time, polling its status (the
 * sidebar's latest-run line and the graph's stage states; cancelling is the runs view's).
 */
export class RunController {
  constructor(
    private readonly api: CellopsApi,
    interval = DEFAULT_SETTINGS.pollingInterval
  ) {
    this._poll = new StatusPoll<IRunStatus | null>({
      name: 'cellops:run-status',
      interval,
      fetch: async () => {
        const s = this._status;
        const pkg = this._package;
        return s && pkg ? this.api.runStatus(pkg, s.id) : null;
      },
      onValue: next => {
        if (!next || next.package !== this._status?.package) {
          return false;
        }
        if (next.id === this._status?.id) {
          this._status = next;
          this._error = null;
          this._changed.emit();
        }
        return next.status === 'running';
      },
      onError: error => {
        this._error = error.message;
        this._changed.emit();
      }
    });
  }

  /** Milliseconds between status polls (a user setting). */
  set interval(ms: number) {
    this._poll.interval = ms;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get package(): string | null {
    return this._package;
  }

  get status(): IRunStatus | null {
    return this._status;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * Show the package's latest run (if any) without starting one.
   */
  async follow(pkg: string | null): Promise<void> {
    if (pkg === this._package) {
      return;
    }
    this.stopPolling();
    this._package = pkg;
    this._status = null;
    this._error = null;
    this._changed.emit();
    if (!pkg) {
      return;
    }
    try {
      // Only the newest run is shown here: one record read, however many runs there are.
      const list = await this.api.listRuns(pkg, { limit: 1 });
      if (this._package === pkg) {
        // Not promoted yet: the empty state ("promote to run"), not an error.
        if (!list.promoted) {
          this._package = null;
        }
        this._status = list.runs[0] ?? null;
        this.poll();
      }
    } catch (error) {
      this._error = String((error as Error).message ?? error);
    }
    this._changed.emit();
  }

  /** A run was started here (the runs view lists it at once). */
  get started(): ISignal<this, string> {
    return this._started;
  }

  /**
   * A newer status of the package's latest run, seen elsewhere (the runs view): a resumed or
   * re-run run replaces the failed one the graph shows, and is followed while it runs.
   */
  show(run: IRunStatus): void {
    const current = this._status;
    if (
      run.package !== this._package ||
      (current && run.started < current.started)
    ) {
      return;
    }
    this._status = run;
    this._changed.emit();
    this.poll();
  }

  async start(
    pkg: string,
    params: Record<string, unknown>,
    noCache = false
  ): Promise<void> {
    this.stopPolling();
    this._package = pkg;
    this._error = null;
    try {
      const started = await this.api.startRun({
        package: pkg,
        params,
        no_cache: noCache
      });
      this._status = await this.api.runStatus(pkg, started.id);
      this._started.emit(pkg);
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._changed.emit();
    this.poll();
  }

  dispose(): void {
    this._poll.dispose();
  }

  private poll(): void {
    if (this._status?.status === 'running' && this._package) {
      this._poll.start();
    }
  }

  private stopPolling(): void {
    this._poll.stop();
  }

  private _package: string | null = null;
  private _status: IRunStatus | null = null;
  private _error: string | null = null;
  private _poll: StatusPoll<IRunStatus | null>;
  private _changed = new Signal<this, void>(this);
  private _started = new Signal<this, string>(this);
}
