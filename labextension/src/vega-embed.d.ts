// vega-embed publishes its types through package.json "exports", which this project's
// moduleResolution ("node", as JupyterLab's extension template has it) does not read: the
// part of its API the plot uses, declared here.
declare module 'vega-embed' {
  export interface IEmbedResult {
    view: unknown;
    finalize(): void;
  }
  export default function embed(
    el: HTMLElement,
    spec: Record<string, unknown>,
    options?: Record<string, unknown>
  ): Promise<IEmbedResult>;
}
