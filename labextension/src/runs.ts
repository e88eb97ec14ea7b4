import { ISignal, Signal } from '@lumino/signaling';

import { CellopsApi } from './api';
import { DEFAULT_SETTINGS } from './lib/settings';
import { IRunStatus } from './tokens';

/**
 * Starts, follows and cancels runs of one package at a time, polling the run status.
 */
export class RunController {
  constructor(
    private readonly api: CellopsApi,
    /** Milliseconds between status polls (a user setting). */
    public interval = DEFAULT_SETTINGS.pollingInterval
  ) {}

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

  /** A cancel was asked for and the server has not yet answered that the run stopped. */
  get cancelling(): boolean {
    return this._cancelling;
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
      const list = await this.api.listRuns(pkg);
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
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._changed.emit();
    this.poll();
  }

  async cancel(): Promise<void> {
    const s = this._status;
    const pkg = this._package;
    if (!s || !pkg || s.status !== 'running' || this._cancelling) {
      return;
    }
    // The server answers once the kernels have stopped, which takes a while: say so now.
    this._cancelling = true;
    this._changed.emit();
    try {
      const stopped = await this.api.cancelRun(pkg, s.id);
      if (this._package === pkg) {
        this._status = stopped;
      }
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._cancelling = false;
    this._changed.emit();
  }

  dispose(): void {
    this.stopPolling();
  }

  private poll(): void {
    const s = this._status;
    const pkg = this._package;
    if (!s || !pkg || s.status !== 'running') {
      return;
    }
    this._timer = window.setTimeout(async () => {
      try {
        const next = await this.api.runStatus(pkg, s.id);
        if (this._package === pkg) {
          this._status = next;
          this._changed.emit();
        }
      } catch (error) {
        this._error = (error as Error).message;
        this._changed.emit();
        return;
      }
      this.poll();
    }, this.interval);
  }

  private stopPolling(): void {
    window.clearTimeout(this._timer);
  }

  private _package: string | null = null;
  private _status: IRunStatus | null = null;
  private _error: string | null = null;
  private _cancelling = false;
  private _timer = 0;
  private _changed = new Signal<this, void>(this);
}
