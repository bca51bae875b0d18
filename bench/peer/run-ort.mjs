// ONNX Runtime side of bench/peer/run.sh: for each MODEL.onnx, one intra-op
// thread, batch 1, random uint8 input; warms up, then times `runs` session
// runs end to end (no profiler attached), and in a second session with the
// profiler on sums each run's kernel time ("*_kernel_time" node events).
// Prints one JSON line per model: median and minimum, in microseconds, in all
// and per operator type (kernel_by_op).
//   node run-ort.mjs [--runs N] [--warmup N] MODEL.onnx...
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';

const args = process.argv.slice(2);
let runs = 200, warmup = 20;
const models = [];
for (let i = 0; i < args.length; ++i) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--warmup') warmup = Number(args[++i]);
  else models.push(args[i]);
}

const median = (v) => { const s = [...v].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

function feeds(session) {
  const out = {};
  for (const name of session.inputNames) {
    const meta = session.inputMetadata?.find?.((m) => m.name === name);
    const dims = meta?.shape ?? null;
    if (!dims) throw new Error(`${name}: input shape unknown`);
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Uint8Array(n);
    for (let i = 0; i < n; ++i) data[i] = (i * 2654435761) >>> 24;
    out[name] = new ort.Tensor('uint8', data, dims);
  }
  return out;
}

const baseOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  executionProviders: ['cpu'],
};

for (const model of models) {
  // End to end, no profiler.
  const session = await ort.InferenceSession.create(model, baseOptions);
  const input = feeds(session);
  for (let i = 0; i < warmup; ++i) await session.run(input);
  const e2e = [];
  for (let i = 0; i < runs; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(input);
    e2e.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  await session.release();

  // Kernel time from ORT's own profiler.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-prof-'));
  const prefix = path.join(dir, 'profile');
  const profiled = await ort.InferenceSession.create(model, { ...baseOptions, enableProfiling: true, profileFilePrefix: prefix });
  for (let i = 0; i < warmup + runs; ++i) await profiled.run(input);
  profiled.endProfiling();
  await profiled.release();
  const file = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f))[0];
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  const runsEv = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const perRun = runsEv.slice(warmup).map((r) =>
    kernels.filter((k) => k.ts >= r.ts && k.ts <= r.ts + r.dur).reduce((s, k) => s + k.dur, 0));
  // The same per operator type (ORT's layout transformer, say, runs a QLinearConv
  // as NHWC between two Transposes): its kernel time per run, median and minimum.
  const ops = {};
  for (const op of new Set(kernels.map((k) => k.args?.op_name ?? '?'))) {
    const t = runsEv.slice(warmup).map((r) => kernels.filter((k) => (k.args?.op_name ?? '?') === op && k.ts >= r.ts &&
      k.ts <= r.ts + r.dur).reduce((s, k) => s + k.dur, 0));
    ops[op] = { median_us: median(t), min_us: Math.min(...t) };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({
    model: path.basename(model),
    e2e_median_us: median(e2e), e2e_min_us: Math.min(...e2e),
    kernel_median_us: median(perRun), kernel_min_us: Math.min(...perRun),
    kernel_nodes_per_run: runsEv.length ? kernels.length / runsEv.length : 0,
    kernel_by_op: ops,
  }));
}
