/**
 * Stage colours: distinct, readable on light and dark themes, stable per stage position.
 */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#ff9da7',
  '#9c755f',
  '#8cd17d'
];

export function stageColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/**
 * Colour by stage name, given the stage order of the current analysis.
 */
export function colorMap(stageNames: string[]): Map<string, string> {
  return new Map(stageNames.map((name, i) => [name, stageColor(i)]));
}
