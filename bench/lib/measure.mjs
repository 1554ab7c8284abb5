// Timing helpers shared by the peer scripts: medians of repeated runs, never single times.
// The machine is small and shared, so every figure is a median, with its spread kept alongside.

export function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The q-quantile (0 < q <= 1) by the nearest-rank rule: p99 of 1000 samples is the 990th smallest. */
export function quantile(values, q) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const now = () => performance.now() / 1000;

/** measureThroughput's rule for very slow peers, exported for peers that time in another language. */
export const SLOW_STEP_DEFAULTS = { slowStepSeconds: 10, slowRuns: 3 };

/**
 * Throughput of `step` (a function, sync or async, that processes `unitsPerStep` images), in
 * images/s. Warms up for at least `warmupSeconds` (and at least one step), then times `runs` runs
 * of as many steps as fill `runSeconds` (at least one step each). A step that takes longer than
 * `slowStepSeconds` gets only `slowRuns` runs, so very slow peers finish in minutes.
 */
export async function measureThroughput(step, unitsPerStep, options) {
  const { runs, runSeconds, warmupSeconds, slowStepSeconds, slowRuns } = { ...SLOW_STEP_DEFAULTS, ...options };
  const warmupTimes = [];
  const warmupStart = now();
  do {
    const start = now();
    await step();
    warmupTimes.push(now() - start);
  } while (now() - warmupStart < warmupSeconds);
  // The first call pays for allocation and compilation: estimate from the later ones when there are.
  const estimate = median(warmupTimes.length > 1 ? warmupTimes.slice(1) : warmupTimes);
  const stepsPerRun = Math.max(1, Math.round(runSeconds / estimate));
  const runCount = estimate > slowStepSeconds ? slowRuns : runs;
  const rates = [];
  for (let run = 0; run < runCount; run++) {
    const start = now();
    for (let s = 0; s < stepsPerRun; s++) await step();
    rates.push((unitsPerStep * stepsPerRun) / (now() - start));
  }
  return {
    median: median(rates),
    min: Math.min(...rates),
    max: Math.max(...rates),
    runs: rates.length,
    stepsPerRun,
    warmupSteps: warmupTimes.length,
    rates,
  };
}

/**
 * Latency of `call` in ms: median and p99 over as many timed calls as fit in `budgetSeconds`
 * (between minCalls and maxCalls), after `warmupCalls` untimed calls.
 */
export async function measureLatency(call, options) {
  const { warmupCalls, budgetSeconds, minCalls, maxCalls } = options;
  const warmupTimes = [];
  for (let i = 0; i < warmupCalls; i++) {
    const start = now();
    await call();
    warmupTimes.push(now() - start);
  }
  const estimate = median(warmupTimes.slice(warmupTimes.length >> 1));
  const calls = Math.min(maxCalls, Math.max(minCalls, Math.floor(budgetSeconds / estimate)));
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await call();
    times[i] = performance.now() - start;
  }
  const values = Array.from(times);
  return {
    median: median(values),
    p99: quantile(values, 0.99),
    min: Math.min(...values),
    max: Math.max(...values),
    calls,
  };
}

/** The settings every peer uses, so their figures compare; --quick shortens them for a smoke test. */
export function settings(quick) {
  return quick
    ? {
        train: { runs: 3, runSeconds: 0.3, warmupSeconds: 0.3 },
        latency: { warmupCalls: 20, budgetSeconds: 1, minCalls: 50, maxCalls: 200 },
        throughput: { runs: 3, runSeconds: 0.3, warmupSeconds: 0.3 },
      }
    : {
        train: { runs: 7, runSeconds: 1, warmupSeconds: 1 },
        latency: { warmupCalls: 100, budgetSeconds: 5, minCalls: 200, maxCalls: 1000 },
        throughput: { runs: 7, runSeconds: 1, warmupSeconds: 1 },
      };
}

/** Deterministic uniform [0, 1) floats (mulberry32), so every peer sees the same inputs. */
export function seededUniform(length, seed) {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

/** Largest |a[i] - b[i]|; Infinity when the lengths differ or a value is not finite. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Infinity : d;
  }
  return worst;
}
