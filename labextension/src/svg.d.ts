// SVG files are bundled as raw strings by the JupyterLab extension builder.
declare module '*.svg' {
  const value: string;
  export default value;
}
