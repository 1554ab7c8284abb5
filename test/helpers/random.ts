// Seeded random data for tests: every failure is reproducible from the printed seed.

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi). */
export function randomArray(random: () => number, length: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * random();
  return out;
}

/** Integers in [lo, hi]. */
export function randomInt(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** `count` class indices in [0, classes). */
export function randomLabels(random: () => number, count: number, classes: number): Int32Array {
  return Int32Array.from({ length: count }, () => randomInt(random, 0, classes - 1));
}

/** Soft labels [rows, classes]: positive rows that sum to 1 with no class at 0 or 1. */
export function softTargets(random: () => number, rows: number, classes: number): Float32Array {
  const out = randomArray(random, rows * classes, 0.1, 1);
  for (let r = 0; r < rows; r++) {
    const row = out.subarray(r * classes, (r + 1) * classes);
    const sum = row.reduce((s, v) => s + v, 0);
    row.forEach((v, c) => {
      row[c] = v / sum;
    });
  }
  return out;
}
