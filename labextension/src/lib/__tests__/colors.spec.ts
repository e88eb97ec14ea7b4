import { colorMap, contrastRatio, labelColor } from '../colors';

describe('labelColor', () => {
  it('gives every stage colour a label of at least 4.5:1 (WCAG AA, small text)', () => {
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const fill of colorMap(names).values()) {
      expect(contrastRatio(fill, labelColor(fill))).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('is white on dark fills and black on light ones', () => {
    expect(labelColor('#000000')).toBe('#ffffff');
    expect(labelColor('#ffffff')).toBe('#000000');
    expect(labelColor('#edc948')).toBe('#000000'); // the palette's yellow
  });

  it('always reads at least as well as the other choice, for any colour', () => {
    for (let i = 0; i < 500; i++) {
      const hex = `#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(-6)}`;
      const other = labelColor(hex) === '#000000' ? '#ffffff' : '#000000';
      expect(contrastRatio(hex, labelColor(hex))).toBeGreaterThanOrEqual(
        contrastRatio(hex, other)
      );
    }
  });
});

describe('contrastRatio', () => {
  it('is 21 for black on white and 1 for a colour on itself', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#4e79a7', '#4e79a7')).toBeCloseTo(1, 5);
  });
});
