// Seeded random numbers for initializers, shuffling and dropout seeds, so `seed` makes a run
// repeatable.

/** mulberry32: small, fast and good enough for weights and shuffles; returns floats in [0, 1). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal, by Box-Muller. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, 2^31): seeds for derived streams. */
  seed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(values: Int32Array): void {
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }
}

/** A seed for runs that asked for none. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
