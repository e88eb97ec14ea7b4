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

/** WCAG relative luminance of a `#rrggbb` colour. */
export function luminance(hex: string): number {
  const channels = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map(c =>
    c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  );
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * Black or white, whichever reads better on `background`: white labels vanish on the
 * palette's orange and yellow nodes.
 */
export function labelColor(background: string): '#000000' | '#ffffff' {
  return contrastRatio(background, '#000000') >=
    contrastRatio(background, '#ffffff')
    ? '#000000'
    : '#ffffff';
}
