// convkit side by side with its peers on this machine: node bench/run.mjs [options]
// (npm run bench installs the peers first, then runs this.)
//
//   --threads N          threads for every library that can use them (default 2)
//   --quick              fewer repetitions, for a smoke test (figures are rougher)
//   --only LIST          comma-separated subset of gemm,train,infer (default all)
//   --peers LIST         comma-separated subset of convkit,onnxruntime-node,pytorch,tfjs-wasm,tfjs-cpu
//
// 1. gemm: bench/gemm.mjs's measurements (single thread, every available ISA).
// 2. train: images/s of trainOnBatch (or the peer's own training step) on the Keras MNIST convnet
//    at batch 64 and 128.
// 3. infer: batch-1 latency (median and p99, sync and Promise APIs) and batch-256 throughput, with
//    convkit's weights in every peer, after checking their outputs agree with convkit's.
// Each peer task runs in its own process, one after the other (never two at once). Every figure
// is a median of repeated runs. A table goes to stdout, everything to bench/results/<time>.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AGREEMENT_TOLERANCE,
  cpuBusyShare,
  cpuClock,
  gitState,
  otherWorkShare,
  runPeerTask,
  THROUGHPUT_BATCH,
  TRAIN_BATCHES,
} from './lib/peer.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, '..');
const SECTIONS = ['gemm', 'train', 'infer'];
const PEERS = [
  { name: 'convkit', script: 'peers/convkit.mjs', args: [] },
  { name: 'onnxruntime-node', script: 'peers/onnxruntime.mjs', args: [] },
  { name: 'pytorch', script: 'peers/pytorch.mjs', args: [] },
  { name: 'tfjs-wasm', script: 'peers/tfjs.mjs', args: ['--backend', 'wasm'] },
  { name: 'tfjs-cpu', script: 'peers/tfjs.mjs', args: ['--backend', 'cpu'] },
];
// The table's rows: which task and measure fill them, and which way is better.
const ROWS = [
  ...TRAIN_BATCHES.map((batch) => ({
    label: `training, batch ${batch} (img/s)`,
    task: 'train',
    measure: `train.b${batch}`,
    stat: 'median',
    better: 'higher',
  })),
  {
    label: 'inference batch 1, sync API, median (ms)',
    task: 'infer',
    measure: 'infer.b1.sync',
    stat: 'median',
    better: 'lower',
  },
  {
    label: 'inference batch 1, sync API, p99 (ms)',
    task: 'infer',
    measure: 'infer.b1.sync',
    stat: 'p99',
    better: 'lower',
  },
  {
    label: 'inference batch 1, Promise API, median (ms)',
    task: 'infer',
    measure: 'infer.b1.async',
    stat: 'median',
    better: 'lower',
  },
  {
    label: 'inference batch 1, Promise API, p99 (ms)',
    task: 'infer',
    measure: 'infer.b1.async',
    stat: 'p99',
    better: 'lower',
  },
  {
    label: `inference batch ${THROUGHPUT_BATCH} (img/s)`,
    task: 'infer',
    measure: 'infer.throughput',
    stat: 'median',
    better: 'higher',
  },
];

function parseOptions(argv) {
  const options = { threads: 2, quick: false, only: [...SECTIONS], peers: PEERS.map((p) => p.name) };
  const list = (value, allowed, flag) => {
    const items = String(value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = items.filter((item) => !allowed.includes(item));
    if (items.length === 0 || unknown.length)
      throw new Error(`${flag} takes a comma-separated subset of ${allowed.join(',')}, got '${value ?? ''}'`);
    return allowed.filter((item) => items.includes(item));
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--threads') {
      const text = value();
      options.threads = Number(text);
      if (!Number.isInteger(options.threads) || options.threads < 1)
        throw new Error(`--threads takes a positive integer, got '${text}'`);
    } else if (flag === '--quick') options.quick = true;
    else if (flag === '--only') options.only = list(value(), SECTIONS, '--only');
    else if (flag === '--peers')
      options.peers = list(
        value(),
        PEERS.map((p) => p.name),
        '--peers',
      );
    else if (flag === '--help' || flag === '-h') {
      console.log(
        'usage: npm run bench -- [--threads N] [--quick] [--only gemm,train,infer] [--peers convkit,onnxruntime-node,pytorch,tfjs-wasm,tfjs-cpu]',
      );
      process.exit(0);
    } else throw new Error(`unknown option '${argv[i]}' (try --help)`);
  }
  return options;
}

const round = (value, digits) => Number(value.toFixed(digits));
/** Whole numbers from 100 up, else 3 significant digits (tfjs-cpu trains at about 1 img/s). */
const formatNumber = (value) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3));

/** The value of one table cell: { value } or { text } (n/a, unavailable), with its footnote. */
function cell(outcome, row) {
  if (!outcome) return { text: 'not run' };
  if (!outcome.ok) return { text: 'unavailable', note: `unavailable: ${outcome.reason}` };
  const measure = outcome.result.measures?.[row.measure];
  if (!measure) return { text: 'unavailable', note: `unavailable: no '${row.measure}' in the peer's result` };
  if (measure.na !== undefined) return { text: 'n/a', note: measure.na };
  return { value: measure[row.stat] };
}

function buildTable(results, peers) {
  const notes = [];
  const noteIndex = (peer, text) => {
    const key = `${peer}: ${text}`;
    if (!notes.includes(key)) notes.push(key);
    return notes.indexOf(key) + 1;
  };
  const rows = ROWS.filter((row) => results.some((r) => r[row.task])).map((row) => {
    const cells = Object.fromEntries(
      peers.map((peer) => [peer, cell(results.find((r) => r.peer === peer)?.[row.task], row)]),
    );
    for (const [peer, c] of Object.entries(cells)) if (c.note) c.noteNumber = noteIndex(peer, c.note);
    const others = peers.filter((peer) => peer !== 'convkit' && cells[peer].value !== undefined);
    const pick =
      row.better === 'higher'
        ? (a, b) => (cells[b].value > cells[a].value ? b : a)
        : (a, b) => (cells[b].value < cells[a].value ? b : a);
    const bestPeer = others.length ? others.reduce(pick) : null;
    const own = cells.convkit?.value;
    const ratio = bestPeer && own !== undefined ? own / cells[bestPeer].value : null;
    return { ...row, cells, bestPeer, ratio };
  });
  const header = ['measure', ...peers, 'convkit / best peer'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows) {
    const texts = peers.map((peer) => {
      const c = row.cells[peer];
      return c.value !== undefined ? formatNumber(c.value) : `${c.text}${c.noteNumber ? ` [${c.noteNumber}]` : ''}`;
    });
    const ratio = row.ratio === null ? '—' : `${formatNumber(row.ratio)} (${row.bestPeer})`;
    lines.push(`| ${row.label} | ${texts.join(' | ')} | ${ratio} |`);
  }
  return { rows, notes, markdown: lines.join('\n') };
}

function summarize(outcome) {
  if (!outcome.ok) return `unavailable: ${outcome.reason}`;
  return (
    Object.entries(outcome.result.measures ?? {})
      .map(([key, m]) => {
        if (m.na !== undefined) return `${key} n/a`;
        if (m.p99 !== undefined) return `${key} ${formatNumber(m.median)} ms (p99 ${formatNumber(m.p99)})`;
        return `${key} ${formatNumber(m.median)} img/s`;
      })
      .join(', ') || 'done'
  );
}

/** Flags a task during which other processes took a noticeable share of the CPUs. */
const OTHER_WORK_WARNING = 0.05;
const otherWorkNote = (share) =>
  share > OTHER_WORK_WARNING
    ? ` [other processes took ${(100 * share).toFixed(0)}% of the CPUs meanwhile: figures may be low]`
    : '';

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const started = new Date();
  const machine = {
    cpu: cpus()[0]?.model?.trim() ?? 'unknown',
    logicalCpus: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    busyBeforeStart: await cpuBusyShare(),
  };
  const git = gitState(root);
  console.log(
    `convkit benchmark: ${options.threads} thread(s)${options.quick ? ', --quick' : ''}; ${options.only.join(', ')}; ` +
      `${machine.cpu}, ${machine.logicalCpus} logical CPUs, Node ${machine.node}`,
  );
  if (machine.busyBeforeStart > 0.2) {
    console.warn(
      `bench: warning: other work kept the CPUs ${(100 * machine.busyBeforeStart).toFixed(0)}% busy just before the start: figures may be noisy`,
    );
  }

  const report = {
    format: 1,
    date: started.toISOString(),
    git,
    machine,
    options: { threads: options.threads, quick: options.quick, only: options.only, peers: options.peers },
    gemm: null,
    convkit: null,
    peers: {},
    table: null,
  };

  if (options.only.includes('gemm')) {
    console.log('\n## GEMM (bench/gemm.mjs)\n');
    try {
      const { runGemmBench } = await import('./gemm.mjs');
      process.stdout.write('  every available ISA, one process each ... ');
      const start = cpuClock();
      report.gemm = runGemmBench({ quick: options.quick });
      const end = cpuClock();
      report.gemm.otherWork = otherWorkShare(
        start,
        end,
        report.gemm.isas.reduce((sum, r) => sum + r.cpuSeconds, 0),
      );
      console.log(
        `${(end.wall - start.wall).toFixed(0)} s: ${report.gemm.isas.map((r) => r.isa).join(', ')}${otherWorkNote(report.gemm.otherWork)}`,
      );
    } catch (error) {
      report.gemm = { unavailable: error.message.split('\n')[0] };
      console.log(`GEMM unavailable: ${report.gemm.unavailable}`);
    }
  }

  const peers = PEERS.filter((peer) => options.peers.includes(peer.name));
  const results = peers.map((peer) => ({ peer: peer.name }));
  const common = ['--threads', String(options.threads), ...(options.quick ? ['--quick'] : [])];
  const env = { CONVKIT_NUM_THREADS: String(options.threads), OMP_NUM_THREADS: String(options.threads) };
  const run = async (peer, task, extra = []) => {
    process.stdout.write(`  ${peer.name} ${task} ... `);
    const t0 = performance.now();
    const outcome = await runPeerTask(join(benchDir, peer.script), task, [...peer.args, ...common, ...extra], { env });
    const note = task === 'fixture' ? '' : otherWorkNote(outcome.otherWork); // the fixture is not timed
    console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s: ${summarize(outcome)}${note}`);
    return outcome;
  };

  if (options.only.includes('train')) {
    console.log(`\n## Training (trainOnBatch or the peer's own training step, batch ${TRAIN_BATCHES.join(' and ')})\n`);
    for (const [i, peer] of peers.entries()) results[i].train = await run(peer, 'train');
  }

  if (options.only.includes('infer')) {
    console.log(
      `\n## Inference (batch 1 latency, batch ${THROUGHPUT_BATCH} throughput; outputs checked against convkit's to ${AGREEMENT_TOLERANCE})\n`,
    );
    const scratch = mkdtempSync(join(tmpdir(), 'convkit-bench-'));
    try {
      const fixturePath = join(scratch, 'fixture.json');
      const fixture = await run(PEERS[0], 'fixture', ['--fixture', fixturePath]);
      for (const [i, peer] of peers.entries()) {
        results[i].infer = fixture.ok
          ? await run(peer, 'infer', ['--fixture', fixturePath])
          : { ok: false, reason: `no shared weights (convkit could not write them: ${fixture.reason})` };
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  for (const r of results) report.peers[r.peer] = { train: r.train ?? null, infer: r.infer ?? null };
  const peerInfo = (r) => [r?.infer, r?.train].find((o) => o?.ok && o.result.version !== undefined)?.result;
  const convkitInfo = peerInfo(results.find((r) => r.peer === 'convkit'));
  if (convkitInfo)
    report.convkit = {
      version: convkitInfo.version,
      isa: convkitInfo.isa,
      availableIsas: convkitInfo.availableIsas,
      threads: convkitInfo.threads,
    };

  const lines = [];
  if (report.gemm?.isas) {
    const isas = report.gemm.isas;
    lines.push(
      '### GEMM, convkit, single thread (GFLOP/s, % of the measured peak)',
      '',
      `| shape (m x n x k) | ${isas.map((r) => r.isa).join(' | ')} |`,
      `|---|${isas.map(() => '---:').join('|')}|`,
      `| peak (multiply-add loop) | ${isas.map((r) => r.peak.toFixed(1)).join(' | ')} |`,
    );
    for (const [j, { label }] of isas[0].results.entries()) {
      lines.push(
        `| ${label} | ${isas.map((r) => `${r.results[j].gflops.toFixed(1)} (${r.results[j].percentOfPeak.toFixed(0)}%)`).join(' | ')} |`,
      );
    }
    lines.push('');
  }
  if (options.only.includes('train') || options.only.includes('infer')) {
    const table = buildTable(
      results,
      peers.map((p) => p.name),
    );
    report.table = {
      columns: peers.map((p) => p.name),
      rows: table.rows.map((row) => ({
        measure: row.label,
        key: `${row.measure}.${row.stat}`,
        better: row.better,
        bestPeer: row.bestPeer,
        ratio: row.ratio === null ? null : round(row.ratio, 4),
        values: Object.fromEntries(Object.entries(row.cells).map(([peer, c]) => [peer, c.value ?? c.text])),
      })),
      notes: table.notes,
      markdown: table.markdown,
    };
    lines.push('### Keras MNIST convnet (93,322 parameters), medians', '', table.markdown, '');
    lines.push("Ratio: convkit's figure / the best peer's: above 1 is better for img/s, below 1 is better for ms.");
    for (const [i, note] of table.notes.entries()) lines.push(`[${i + 1}] ${note}`);
  }
  const threadsUsed = results.map((r) => (peerInfo(r) ? `${r.peer} ${peerInfo(r).threads}` : null)).filter(Boolean);
  const versions = results.map((r) => (peerInfo(r) ? `${r.peer} ${peerInfo(r).version}` : null)).filter(Boolean);
  const threadNotes = [
    options.peers.includes('tfjs-cpu') && 'tfjs-cpu is JavaScript on one thread',
    options.peers.includes('tfjs-wasm') && 'tfjs-wasm runs one thread under Node',
  ].filter(Boolean);
  lines.push(
    '',
    `Threads asked: ${options.threads}; used: ${threadsUsed.join(', ') || '—'}` +
      `${threadNotes.length ? ` (${threadNotes.join('; ')})` : ''}${report.gemm ? '; GEMM: single thread' : ''}`,
  );
  if (report.convkit) lines.push(`ISA: ${report.convkit.isa} (available: ${report.convkit.availableIsas.join(', ')})`);
  lines.push(`CPU: ${machine.cpu}, ${machine.logicalCpus} logical CPUs; Node ${machine.node} (${machine.platform})`);
  const otherWork = [
    report.gemm?.otherWork !== undefined && ['gemm', report.gemm.otherWork],
    ...results.flatMap((r) =>
      ['train', 'infer']
        .filter((task) => r[task]?.otherWork !== undefined)
        .map((task) => [`${r.peer} ${task}`, r[task].otherWork]),
    ),
  ].filter(Boolean);
  if (otherWork.length) {
    lines.push(
      `Other processes' share of the CPUs during each task: ${otherWork.map(([task, share]) => `${task} ${(100 * share).toFixed(0)}%`).join(', ')}` +
        `${otherWork.some(([, share]) => share > OTHER_WORK_WARNING) ? " (above 5%: that task's figures may be low)" : ''}`,
    );
  }
  const memory = results.find((r) => r.peer === 'convkit')?.train?.result?.memory;
  if (memory) {
    lines.push(
      `convkit training memory (20 steps after timing): ${Object.entries(memory)
        .map(([batch, m]) => `${batch}: ${m.minorPageFaultsPerStep} page faults/step, peak RSS ${m.peakRssMiB} MiB`)
        .join('; ')}`,
    );
  }
  if (versions.length) lines.push(`Versions: ${versions.join(', ')}`);
  if (git)
    lines.push(`Commit: ${git.commit.slice(0, 12)} on ${git.branch}${git.dirty ? ' (uncommitted changes)' : ''}`);

  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const resultsPath = join(resultsDir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  report.finished = new Date().toISOString();
  writeFileSync(resultsPath, `${JSON.stringify(report, null, 2)}\n`);
  lines.push(`Results: ${relative(process.cwd(), resultsPath)}`);
  console.log(`\n## Summary\n\n${lines.join('\n')}`);
}

main().catch((error) => {
  console.error(`bench: ${error.message}`);
  process.exit(1);
});
