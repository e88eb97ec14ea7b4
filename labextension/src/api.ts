import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IAnalysis,
  IBatchRequest,
  IBatchStarted,
  IBatchList,
  IBatchStatus,
  ICompare,
  IExecution,
  IExecutionCode,
  IExperiments,
  IHistory,
  IDiagnostic,
  IErrorBody,
  IPromoteRequest,
  IPromoteResult,
  IRunList,
  IRunRequest,
  IRunStarted,
  IRunStatus
} from './tokens';

/**
 * An error answer of the cellops REST API, with its status and message.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly diagnostics: IDiagnostic[] = []
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * A typed client of the cellops server extension (see docs/rest-api.md).
 */
export class CellopsApi {
  constructor(
    private readonly settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  analyseSaved(path: string): Promise<IAnalysis> {
    return this.request('analysis', { query: { path } });
  }

  analyseContent(path: string | null, content: unknown): Promise<IAnalysis> {
    return this.request('analysis', {
      method: 'POST',
      body: path ? { path, content } : { content }
    });
  }

  promote(req: IPromoteRequest): Promise<IPromoteResult> {
    return this.request('promote', { method: 'POST', body: req });
  }

  startRun(req: IRunRequest): Promise<IRunStarted> {
    return this.request('runs', { method: 'POST', body: req });
  }

  /** Every run, or with `limit` a page of them (`before`: the `next` of the page before). */
  listRuns(
    pkg: string,
    page: { limit?: number; before?: string | null } = {}
  ): Promise<IRunList> {
    const query: Record<string, string> = { package: pkg };
    if (page.limit !== undefined) {
      query.limit = String(page.limit);
    }
    if (page.before) {
      query.before = page.before;
    }
    return this.request('runs', { query });
  }

  runStatus(pkg: string, id: string): Promise<IRunStatus> {
    return this.request(`runs/${encodeURIComponent(id)}`, {
      query: { package: pkg }
    });
  }

  cancelRun(pkg: string, id: string): Promise<IRunStatus> {
    return this.request(`runs/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      query: { package: pkg }
    });
  }

  startBatch(req: IBatchRequest): Promise<IBatchStarted> {
    return this.request('batches', { method: 'POST', body: req });
  }

  /** Every sweep of the package, newest first. */
  batches(pkg: string): Promise<IBatchList> {
    return this.request('batches', { query: { package: pkg } });
  }

  batchStatus(pkg: string, id: string): Promise<IBatchStatus> {
    return this.request(`batches/${encodeURIComponent(id)}`, {
      query: { package: pkg }
    });
  }

  cancelBatch(pkg: string, id: string): Promise<IBatchStatus> {
    return this.request(`batches/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      query: { package: pkg }
    });
  }

  history(path: string, cellId: string, limit = 200): Promise<IHistory> {
    return this.request('tracking/history', {
      query: { path, cell: cellId, limit: String(limit) }
    });
  }

  experiments(
    path: string,
    filters: { status?: string; stage?: string; run?: string } = {}
  ): Promise<IExperiments> {
    const query: Record<string, string> = { path };
    for (const [k, v] of Object.entries(filters)) {
      if (v) {
        query[k] = v;
      }
    }
    return this.request('tracking/experiments', { query });
  }

  execution(id: number): Promise<IExecution> {
    return this.request(`tracking/executions/${id}`);
  }

  executionCode(id: number): Promise<IExecutionCode> {
    return this.request(`tracking/executions/${id}/code`);
  }

  compare(a: number, b: number): Promise<ICompare> {
    return this.request('tracking/compare', {
      query: { a: String(a), b: String(b) }
    });
  }

  /**
   * Call a route under `cellops/api/`; any non-2xx answer becomes an ApiError.
   */
  async request<T>(
    route: string,
    options: {
      method?: string;
      body?: unknown;
      query?: Record<string, string>;
    } = {}
  ): Promise<T> {
    const query = options.query
      ? URLExt.objectToQueryString(options.query)
      : '';
    const url =
      URLExt.join(this.settings.baseUrl, 'cellops', 'api', route) + query;
    const init: RequestInit = { method: options.method ?? 'GET' };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(url, init, this.settings);
    } catch (error) {
      throw new ApiError(0, `cellops server unreachable: ${String(error)}`);
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      const body = (data ?? {}) as Partial<IErrorBody>;
      throw new ApiError(
        response.status,
        body.message ?? `${response.status} ${response.statusText}`,
        body.diagnostics ?? []
      );
    }
    return data as T;
  }
}
