import { describe, expect, it } from 'vitest';
import { dropoutKernels as k } from '../helpers/kernels/dropout';
import { expectClose } from '../helpers/assert';
import { randomArray, rng } from '../helpers/random';
import { referenceDropout } from '../reference/dropout';

function forward(count: number, rate: number, seed: number, x = randomArray(rng(count), count)) {
  const y = new Float32Array(count).fill(Number.NaN);
  const mask = new Uint8Array(count).fill(7);
  k.dropoutForward({ count, rate, seed }, x, y, mask);
  return { x, y, mask };
}

function keptCount(mask: Uint8Array): number {
  let kept = 0;
  for (const bit of mask) kept += bit;
  return kept;
}

function differences(a: Uint8Array, b: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

describe('dropout mask', () => {
  it('is a pure function of (seed, index)', () => {
    const first = forward(5000, 0.4, 1234).mask;
    expect(forward(5000, 0.4, 1234).mask).toEqual(first);
    // A shorter call draws the same decisions for the elements it has.
    expect(forward(1000, 0.4, 1234).mask).toEqual(first.subarray(0, 1000));
    // The decision does not depend on x either.
    expect(forward(5000, 0.4, 1234, randomArray(rng(99), 5000)).mask).toEqual(first);
  });

  it('changes with the seed, even between adjacent seeds', () => {
    const n = 10000;
    const rate = 0.5;
    const seeds = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1];
    const masks = seeds.map((seed) => forward(n, rate, seed).mask);
    for (let a = 0; a < masks.length; a++) {
      for (let b = a + 1; b < masks.length; b++) {
        // Independent masks disagree on 2 * rate * (1 - rate) = half the elements; sd is 50.
        const disagreement = differences(masks[a], masks[b]);
        expect(Math.abs(disagreement - n / 2), `seeds ${seeds[a]} and ${seeds[b]}`).toBeLessThan(300);
      }
    }
  });

  it.each([0.1, 0.25, 0.5, 0.8, 0.95])('keeps a fraction 1 - rate of 100k elements (rate %f)', (rate) => {
    const n = 100000;
    const sd = Math.sqrt(n * rate * (1 - rate));
    for (const seed of [3, 4, 2 ** 53 - 1]) {
      const { mask } = forward(n, rate, seed);
      expect(mask.every((bit) => bit === 0 || bit === 1)).toBe(true);
      // 5 standard deviations of Binomial(n, 1 - rate).
      expect(Math.abs(keptCount(mask) - n * (1 - rate))).toBeLessThan(5 * sd);
    }
  });

  it('draws neighbouring elements independently', () => {
    const n = 100000;
    const rate = 0.5;
    const { mask } = forward(n, rate, 77);
    let bothKept = 0;
    for (let i = 0; i + 1 < n; i++) bothKept += mask[i] & mask[i + 1];
    // Independent bits: each pair is kept with q^2; overlapping pairs add covariance q^3 - q^4.
    const q = 1 - rate;
    const sd = Math.sqrt(n * (q ** 2 * (1 - q ** 2) + 2 * (q ** 3 - q ** 4)));
    expect(Math.abs(bothKept - (n - 1) * q ** 2)).toBeLessThan(5 * sd);
  });
});

describe('dropout forward', () => {
  it.each([0.1, 0.3, 0.5, 0.9])('scales kept values by 1 / (1 - rate) and zeroes the rest (rate %f)', (rate) => {
    const { x, y, mask } = forward(4096, rate, 5);
    for (let i = 0; i < y.length; i++) {
      if (mask[i] === 0) expect(y[i], `y[${i}]`).toBe(0);
    }
    // The kernel receives rate as a float32: 1 / (1 - 0.9f) is 9.9999976, not 10.
    expectClose(y, referenceDropout(x, mask, Math.fround(rate)), { atol: 0, rtol: 2 ** -22 }, 'y');
    expect(keptCount(mask)).toBeGreaterThan(0);
    expect(keptCount(mask)).toBeLessThan(4096);
  });

  it('is the identity at rate 0', () => {
    const { x, y, mask } = forward(3000, 0, 11);
    expect(y).toEqual(x);
    expect(mask.every((bit) => bit === 1)).toBe(true);
  });

  it('works in place (y is x)', () => {
    const { y: expected, mask: expectedMask } = forward(2000, 0.3, 21);
    const x = randomArray(rng(2000), 2000);
    const mask = new Uint8Array(2000);
    k.dropoutForward({ count: 2000, rate: 0.3, seed: 21 }, x, x, mask);
    expect(x).toEqual(expected);
    expect(mask).toEqual(expectedMask);
  });
});

describe('dropout backward', () => {
  it('routes gradients through the forward mask with the same scale', () => {
    const rate = 0.35;
    const { mask } = forward(3000, rate, 8);
    const gradY = randomArray(rng(1), 3000);
    const gradX = new Float32Array(3000).fill(Number.NaN);
    k.dropoutBackward({ count: 3000, rate }, mask, gradY, gradX);
    expectClose(gradX, referenceDropout(gradY, mask, Math.fround(rate)), { atol: 0, rtol: 2 ** -22 }, 'gradX');
    for (let i = 0; i < mask.length; i++) if (!mask[i]) expect(gradX[i]).toBe(0);
  });

  it('is the transpose of forward: gradX equals forward applied to gradY with that mask', () => {
    const rate = 0.6;
    const gradY = randomArray(rng(2), 500);
    const { y, mask } = forward(500, rate, 9, gradY);
    const gradX = new Float32Array(500);
    k.dropoutBackward({ count: 500, rate }, mask, gradY, gradX);
    expect(gradX).toEqual(y);
  });

  it('follows a hand-written mask', () => {
    const mask = Uint8Array.from([1, 0, 1, 1, 0]);
    const gradY = Float32Array.from([1, 2, -3, 4, 5]);
    const gradX = new Float32Array(5);
    k.dropoutBackward({ count: 5, rate: 0.5 }, mask, gradY, gradX);
    expect(Array.from(gradX)).toEqual([2, 0, -6, 8, 0]);
  });

  it('works in place (gradX is gradY)', () => {
    const rate = 0.25;
    const { mask } = forward(1000, rate, 10);
    const gradY = randomArray(rng(3), 1000);
    const expected = new Float32Array(1000);
    k.dropoutBackward({ count: 1000, rate }, mask, gradY, expected);
    k.dropoutBackward({ count: 1000, rate }, mask, gradY, gradY);
    expect(gradY).toEqual(expected);
  });
});

describe('dropout rejects bad input', () => {
  const x = new Float32Array(10);
  const y = new Float32Array(10);
  const mask = new Uint8Array(10);
  const call =
    (params: Record<string, unknown>, ...arrays: unknown[]) =>
    () =>
      k.dropoutForward(
        { count: 10, rate: 0.5, seed: 1, ...params } as never,
        ...((arrays.length ? arrays : [x, y, mask]) as [Float32Array, Float32Array, Uint8Array]),
      );

  it('rejects rates outside [0, 1)', () => {
    expect(call({ rate: 1 })).toThrow(new RangeError('dropoutForward: rate must be a finite number in [0, 1), got 1'));
    expect(call({ rate: -0.1 })).toThrow(RangeError);
    expect(call({ rate: -0.1 })).toThrow(/dropoutForward: rate must be a finite number in \[0, 1\]/);
    expect(call({ rate: Number.NaN })).toThrow(/rate must be a finite number/);
    // Below 1 as a double but 1 as a float32: the kernel would divide by zero.
    expect(call({ rate: 1 - 1e-12 })).toThrow(/rate must be .* as float32/);
    expect(call({ rate: '0.5' })).toThrow(new TypeError('dropoutForward: rate must be a number, got a string'));
    expect(() => k.dropoutBackward({ count: 10, rate: 1 }, mask, x, y)).toThrow(/dropoutBackward: rate must be/);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    expect(call({ seed: -1 })).toThrow(/seed must be in \[0, 9007199254740991\], got -1/);
    expect(call({ seed: 2 ** 53 })).toThrow(RangeError);
    expect(call({ seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(call({ seed: undefined })).toThrow(new TypeError('dropoutForward: seed must be an integer, got undefined'));
  });

  it('rejects wrong lengths and types', () => {
    expect(call({}, x, y, new Uint8Array(9))).toThrow(
      new RangeError('dropoutForward: mask must have 10 elements (count), got 9'),
    );
    expect(call({}, new Float32Array(11), y, mask)).toThrow(/x must have 10 elements/);
    expect(call({}, x, y, new Int8Array(10))).toThrow(
      new TypeError('dropoutForward: mask must be a Uint8Array, got Int8Array'),
    );
    expect(call({ count: 0 })).toThrow(/count must be in \[1,/);
    expect(() => k.dropoutBackward({ count: 10, rate: 0.5 }, new Uint8Array(10), x, new Float32Array(12))).toThrow(
      /dropoutBackward: gradX must have 10 elements/,
    );
  });

  it('rejects partially overlapping arrays, and a mask inside y', () => {
    const shared = new Float32Array(20);
    expect(call({}, shared.subarray(0, 10), shared.subarray(5, 15), mask)).toThrow(/must not share memory/);
    expect(call({}, x, y, new Uint8Array(y.buffer, 0, 10))).toThrow(/mask and y must not share memory/);
    expect(() =>
      k.dropoutBackward({ count: 10, rate: 0.5 }, new Uint8Array(x.buffer, 0, 10), new Float32Array(10), x),
    ).toThrow(/must not share memory/);
  });
});
