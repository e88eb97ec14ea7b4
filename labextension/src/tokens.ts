/**
 * The REST contract between the sidebar and the cellops server extension.
 *
 * These interfaces mirror the TypedDicts in src/cellops/server/schema.py; the test
 * tests/server/test_contract.py fails when the two disagree, so the types are not
 * maintained twice by hand without a check.
 */

export type Severity = 'error' | 'warning';
export type CellRole = 'parameters' | 'setup' | 'skip' | 'stage' | 'none';
export type StageState =
  'pending' | 'running' | 'cached' | 'done' | 'failed' | 'not-run';
export type RunState = 'running' | 'done' | 'failed' | 'interrupted';

export interface IDiagnostic {
  severity: Severity;
  code: string;
  message: string;
  cell_index: number | null;
  cell_id: string | null;
  stage: string | null;
}

export interface IStageOptions {
  cpu?: string;
  memory?: string;
  gpu?: number;
  retries?: number;
  timeout?: number;
  cache?: boolean;
  image?: string;
}

export interface IStageInfo {
  name: string;
  cell_ids: string[];
  inputs: string[];
  outputs: string[];
  parameters: string[];
  upstream: string[];
  options: IStageOptions;
}

export interface IEdgeInfo {
  source: string;
  target: string;
  names: string[];
  explicit: boolean;
}

export interface IParameterInfo {
  name: string;
  type: string;
  default: unknown;
}

export interface ICellInfo {
  id: string;
  index: number;
  role: CellRole;
  stage: string | null;
}

export interface IAnalysis {
  path: string | null;
  dialect: 'cellops' | 'kale' | 'untagged';
  stages: IStageInfo[];
  edges: IEdgeInfo[];
  parameters: IParameterInfo[];
  cells: ICellInfo[];
  diagnostics: IDiagnostic[];
  elapsed_ms: number;
}

export interface IPromoteRequest {
  path: string;
  target?: string;
  name?: string;
}

export interface IPromoteResult {
  package: string;
  name: string;
  files: string[];
  stages: string[];
  parameters: IParameterInfo[];
  warnings: IDiagnostic[];
}

export interface IRunRequest {
  package: string;
  params?: Record<string, unknown>;
  no_cache?: boolean;
  /** Continue the package's failed or cancelled latest run (`cellops run --resume`). */
  resume?: boolean;
}

export interface IRunStarted {
  id: string;
  package: string;
}

export interface IStageError {
  ename: string;
  evalue: string;
  cell_index: number | null;
  source_cell: string | null;
  traceback: string;
}

export interface IStageStatus {
  name: string;
  state: StageState;
  duration: number | null;
  cache_hit: boolean;
  notebook: string | null;
  error: IStageError | null;
}

export interface IRunStatus {
  id: string;
  package: string;
  pipeline: string;
  status: RunState;
  parameters: Record<string, unknown>;
  started: number;
  duration: number | null;
  stages: IStageStatus[];
  message: string | null;
  /** True while a cancelled run stops its kernels (status still 'running'). */
  cancelling?: boolean;
}

export interface IRunList {
  /** False when the folder holds no pipeline.yaml yet (then `runs` is empty). */
  promoted: boolean;
  runs: IRunStatus[];
  /** With `limit`: the `before` of the next (older) page; null on the last page. */
  next: string | null;
}

export interface IErrorBody {
  message: string;
  diagnostics?: IDiagnostic[];
}

export type BatchState = 'running' | 'done' | 'failed' | 'interrupted';

export interface IBatchRequest {
  package: string;
  grid: Record<string, unknown[]>;
  jobs?: number;
}

export interface IBatchStarted {
  id: string;
  package: string;
  total: number;
}

export interface IBatchStatus {
  id: string;
  package: string;
  status: BatchState;
  total: number;
  done: number;
  failed: number;
  remaining: number;
  elapsed: number;
  eta: number | null;
  parameters: string[];
  metrics: string[];
  rows: Record<string, unknown>[];
  message: string | null;
  /** True while a cancelled sweep stops its kernels (status still 'running'). */
  cancelling?: boolean;
}

export interface IBatchList {
  /** False when the folder holds no pipeline.yaml yet (then `batches` is empty). */
  promoted: boolean;
  batches: IBatchStatus[];
}

// Experiment tracking (docs/tracking.md)

export interface IExecutionCore {
  id: number;
  execution_count: number | null;
  started: number;
  duration: number | null;
  status: string;
  error_type: string | null;
  error_message: string | null;
  run_id: string | null;
  stage: string | null;
  metrics: Record<string, number | null>;
}

export interface IExecutionSummary extends IExecutionCore {
  code_sha: string;
}

export interface IHistory {
  path: string;
  cell_id: string;
  executions: IExecutionSummary[];
}

/** A row of the experiments table: the notebook is the table's, the code hash is not sent. */
export interface IExperimentRow extends IExecutionCore {
  cell_id: string;
  ended: number | null;
  params: Record<string, unknown>;
}

export interface ICompareRow extends IExperimentRow {
  notebook: string;
  code_sha: string;
}

export interface IExperiments {
  path: string;
  executions: IExperimentRow[];
  params: string[];
  metrics: string[];
}

export interface IExecutionCode {
  execution_id: number;
  cell_id: string;
  code: string;
}

export interface IMetricPoint {
  name: string;
  value: number | null;
  step: number | null;
  timestamp: number;
}

export interface IExecution {
  id: number;
  notebook: string | null;
  cell_id: string | null;
  execution_count: number | null;
  started: number;
  ended: number;
  duration: number;
  status: string;
  error_type: string | null;
  error_message: string | null;
  run_id: string | null;
  stage: string | null;
  code_sha: string;
  code: string | null;
  params: Record<string, unknown>;
  metrics: IMetricPoint[];
  environment: Record<string, unknown> | null;
}

export interface IParamDiff {
  name: string;
  a: unknown;
  b: unknown;
}

export interface IMetricDiff {
  name: string;
  a: number | null;
  b: number | null;
  delta: number | null;
}

export interface ICompare {
  a: ICompareRow;
  b: ICompareRow;
  same_code: boolean;
  params: IParamDiff[];
  metrics: IMetricDiff[];
}
