// GEMM throughput per ISA, single thread: node bench/gemm.mjs [--quick]
// (npm run bench runs the same measurements through runGemmBench.)
//
// Builds on the compiled addon (CONVKIT_ADDON, else build/Release, else build-cmake). The ISA is
// chosen once per process, so each available ISA runs in a child process with CONVKIT_ISA set.
// Every figure is the median of 5 timed runs; a run repeats the call for about 0.2 s (0.05 s with
// --quick). The peak is the ISA's register-only multiply-add loop (addon.peakFlops).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scriptPath = fileURLToPath(import.meta.url);
const RUNS = 5;

// [label, m, n, k, calls per run unit]: the Keras MNIST convnet's im2col GEMMs (pixels x filters x
// patch) for a batch of 64, once as conv2d issues them (one call per image) and once with the
// batch folded into M (one call).
const shapes = [
  ['256^3', 256, 256, 256, 1],
  ['512^3', 512, 512, 512, 1],
  ['1024^3', 1024, 1024, 1024, 1],
  ['conv1 676x32x9, 64 calls', 676, 32, 9, 64],
  ['conv2 121x64x288, 64 calls', 121, 64, 288, 64],
  ['conv3 9x64x576, 64 calls', 9, 64, 576, 64],
  ['conv1 batched 43264x32x9', 64 * 676, 32, 9, 1],
  ['conv2 batched 7744x64x288', 64 * 121, 64, 288, 1],
  ['conv3 batched 576x64x576', 64 * 9, 64, 576, 1],
];

/** The addon to measure; throws when none is built. */
function findAddon() {
  const addonPath =
    process.env.CONVKIT_ADDON ??
    [join(root, 'build', 'Release', 'convkit.node'), join(root, 'build-cmake', 'Release', 'convkit.node')].find(
      (path) => existsSync(path),
    );
  if (!addonPath) throw new Error('bench/gemm.mjs: build the addon first (npm run build:native)');
  return { addonPath, addon: createRequire(import.meta.url)(addonPath) };
}

function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

function randomArray(length) {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.random() * 2 - 1;
  return out;
}

/** GFLOP/s of `calls` gemm calls per unit, median of RUNS runs of about runSeconds each. */
function measure(addon, runSeconds, m, n, k, calls) {
  const a = randomArray(m * k);
  const b = randomArray(k * n);
  const c = new Float32Array(m * n);
  const params = { m, n, k };
  const unit = () => {
    for (let i = 0; i < calls; i++) addon.kernels.gemm(params, a, b, c);
  };
  unit();
  let repeats = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < repeats; r++) unit();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (seconds >= runSeconds / 4) {
      repeats = Math.max(1, Math.round((repeats * runSeconds) / seconds));
      break;
    }
    repeats *= 2;
  }
  const rates = [];
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < repeats; r++) unit();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push((2 * m * n * k * calls * repeats) / seconds / 1e9);
  }
  return median(rates);
}

/** The child's part: every shape on the ISA this process was given. */
function measureThisIsa(quick) {
  const { addon } = findAddon();
  const runSeconds = quick ? 0.05 : 0.2;
  const isa = addon.isa();
  const peak = median(Array.from({ length: RUNS }, () => addon.peakFlops(isa, runSeconds) / 1e9));
  const results = shapes.map(([label, m, n, k, calls]) => ({
    label,
    m,
    n,
    k,
    calls,
    gflops: measure(addon, runSeconds, m, n, k, calls),
  }));
  const { user, system } = process.cpuUsage();
  return { isa, peak, results, cpuSeconds: (user + system) / 1e6 };
}

/**
 * Runs every shape on every available ISA (one child process each) and returns
 * { addonPath, runs, isas: [{ isa, peak, cpuSeconds, results: [{ label, m, n, k, calls, gflops, percentOfPeak }] }] },
 * cpuSeconds being the CPU time the ISA's child used.
 */
export function runGemmBench({ quick = false } = {}) {
  const { addonPath, addon } = findAddon();
  const isas = addon.availableIsas().map((isa) => {
    const report = JSON.parse(
      execFileSync(process.execPath, [scriptPath, '--child', ...(quick ? ['--quick'] : [])], {
        encoding: 'utf8',
        env: { ...process.env, CONVKIT_ISA: isa, CONVKIT_ADDON: addonPath },
      }),
    );
    if (report.isa !== isa) throw new Error(`asked for ${isa}, the child ran ${report.isa}`);
    for (const result of report.results) result.percentOfPeak = (100 * result.gflops) / report.peak;
    return report;
  });
  return { addonPath, runs: RUNS, threads: 1, isas };
}

/** The report as text lines, as `node bench/gemm.mjs` prints it. */
export function formatGemmReport(report) {
  const lines = [`convkit GEMM, single thread, median of ${report.runs} runs; addon ${report.addonPath}`];
  for (const { isa, peak, results } of report.isas) {
    lines.push('', `${isa}: measured peak ${peak.toFixed(1)} GFLOP/s (multiply-add loop)`);
    for (const { label, gflops, percentOfPeak } of results) {
      lines.push(
        `  ${label.padEnd(28)} ${gflops.toFixed(1).padStart(7)} GFLOP/s  ${percentOfPeak.toFixed(0).padStart(3)}% of peak`,
      );
    }
  }
  return lines;
}

if (resolve(process.argv[1] ?? '') === scriptPath) {
  const quick = process.argv.includes('--quick');
  if (process.argv.includes('--child')) {
    process.stdout.write(JSON.stringify(measureThisIsa(quick)));
  } else {
    for (const line of formatGemmReport(runGemmBench({ quick }))) console.log(line);
  }
}
