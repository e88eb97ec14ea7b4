import { IPoll, Poll } from '@lumino/polling';

/**
 * How views wait for a record the kernel's background writer commits a moment after a cell's
 * reply: fetched again this often, this many times at most.
 */
const AWAIT_INTERVAL = 500;
const AWAIT_ATTEMPTS = 50;

/**
 * One way to follow something on the server (a run, a sweep, a cell's history): Lumino's
 * `Poll`, so every view gets the same behaviour: exponential back-off while the server does
 * not answer, standby while the browser tab is hidden, the interval from the user's settings,
 * and nothing left running once the view is disposed.
 */
export class StatusPoll<T> {
  constructor(options: StatusPoll.IOptions<T>) {
    this._options = options;
    this._poll = new Poll<void, Error>({
      auto: false,
      name: options.name,
      standby: 'when-hidden',
      frequency: StatusPoll.frequency(options.interval),
      factory: () => this._tick()
    });
  }

  /** Milliseconds between polls (the `pollingInterval` setting); applies from the next tick. */
  set interval(ms: number) {
    if (ms !== this._poll.frequency.interval) {
      this._poll.frequency = StatusPoll.frequency(ms);
    }
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Whether a poll is scheduled (false once `onValue` said the job is over). */
  get isRunning(): boolean {
    return this._running;
  }

  /** Poll now, then every interval until `onValue` answers false. */
  start(): void {
    this._running = true;
    void this._poll.refresh();
  }

  stop(): void {
    this._running = false;
    void this._poll.stop();
  }

  dispose(): void {
    this._running = false;
    this._poll.dispose();
  }

  private async _tick(): Promise<void> {
    let value: T;
    try {
      value = await this._options.fetch();
    } catch (error) {
      this._options.onError?.(error as Error);
      throw error; // the Poll backs off
    }
    if (this._poll.isDisposed || !this._running) {
      return;
    }
    if (!this._options.onValue(value)) {
      this.stop();
    }
  }

  private _options: StatusPoll.IOptions<T>;
  private _poll: Poll<void, Error>;
  private _running = false;
}

/**
 * Fetch now, then again while `pending` says an awaited record is not in the answer yet, up
 * to AWAIT_ATTEMPTS times; a failed request is shown and ends the waiting. Started.
 */
export function awaitRecord<T>(options: {
  name: string;
  fetch: () => Promise<T>;
  pending: (value: T) => boolean;
  onError: (error: Error) => void;
}): StatusPoll<T> {
  let attempts = 0;
  const poll: StatusPoll<T> = new StatusPoll<T>({
    name: options.name,
    interval: AWAIT_INTERVAL,
    fetch: options.fetch,
    onValue: value => {
      attempts += 1;
      return options.pending(value) && attempts < AWAIT_ATTEMPTS;
    },
    onError: error => {
      options.onError(error);
      poll.stop();
    }
  });
  poll.start();
  return poll;
}

export namespace StatusPoll {
  export interface IOptions<T> {
    /** Shown in Lumino's debugging output. */
    name: string;
    interval: number;
    fetch: () => Promise<T>;
    /** Called with each answer; return false when the job is over (polling stops). */
    onValue: (value: T) => boolean;
    /** A failed request; the poll keeps trying, backing off up to 30 intervals apart. */
    onError?: (error: Error) => void;
  }

  export function frequency(interval: number): IPoll.Frequency {
    return { interval, backoff: true, max: Math.max(interval * 30, 10_000) };
  }
}
