/** A small deterministic PRNG: the same random inputs on every run of the property tests. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}
