#!/usr/bin/env bash
# bitlab's fast executor against ONNX Runtime on single int8 conv layers,
# batch 1, one thread (docs/benchmarks.md, "Layers against ONNX Runtime"):
# bench_layer_graphs writes each layer of bench/conv_layer.h as LAYER.tq.json
# and as ORT's QLinear model LAYER.onnx and measures the core clock in-process;
# bench_graph (bitlab) and run-ort.mjs (ORT) time them; the table gives µs and
# MAC/cycle at that clock (not the TSC), for ORT both of all its kernels (it runs
# QLinearConv as NHWC between two Transposes) and of the QLinearConv alone.
#   [ROUNDS=N] bench/peer/layers.sh BENCH_LAYER_GRAPHS BENCH_GRAPH [WORKDIR]
#     BENCH_LAYER_GRAPHS, BENCH_GRAPH  bench/ binaries of a Release build
#     ROUNDS  rounds of (clock, bitlab, ORT), default 1; each cell is the best
#             over rounds, since on a shared machine load only ever slows a run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
layer_graphs="$(realpath "$1")"
bench_graph="$(realpath "$2")"
work="${3:-$(mktemp -d)}"
rounds="${ROUNDS:-1}"
mkdir -p "$work"

if [[ ! -d "$here/node_modules/onnxruntime-node" ]]; then
  (cd "$here" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
fi

# Many short repetitions, so bitlab's minimum is over runs as short as ORT's
# single timed runs are: 40 repetitions of >= 10 ms each.
reps=40
for ((r = 1; r <= rounds; ++r)); do
  "$layer_graphs" "$work" > "$work/layers.$r.json"
  layers=($(python3 -c 'import json,sys; print(" ".join(l["name"] for l in json.load(open(sys.argv[1]))["layers"]))' "$work/layers.$r.json"))
  # CPU time per run: the min (bench_graph's own aggregate) and median over repetitions.
  "$bench_graph" --benchmark_min_time=0.01 --benchmark_repetitions=$reps --benchmark_report_aggregates_only=true \
    --benchmark_format=json $(for l in "${layers[@]}"; do echo "$work/$l.tq.json"; done) > "$work/bitlab.$r.json"
  (cd "$here" && node run-ort.mjs $(for l in "${layers[@]}"; do echo "$work/$l.onnx"; done)) > "$work/ort.$r.jsonl"
done

python3 - "$work" "$rounds" "$reps" <<'PY'
import json, sys
work, rounds, reps = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hz, macs, names, b, bmed, o = 0.0, {}, [], {}, {}, {}
for r in range(1, rounds + 1):
    meta = json.load(open(f"{work}/layers.{r}.json"))
    hz = max(hz, meta["core_hz"])  # a clock measurement can only be slowed by load
    for l in meta["layers"]:
        macs[l["name"]] = l["macs"]
        if l["name"] not in names: names.append(l["name"])
    for x in json.load(open(f"{work}/bitlab.{r}.json"))["benchmarks"]:
        n, a = x["run_name"].removesuffix(".tq.json"), x.get("aggregate_name")
        if a == "min": b[n] = min(b.get(n, float("inf")), x["cpu_time"])  # µs
        if a == "median": bmed[n] = min(bmed.get(n, float("inf")), x["cpu_time"])
    for line in open(f"{work}/ort.{r}.jsonl"):
        j = json.loads(line)
        n = j["model"].removesuffix(".onnx")
        p = o.setdefault(n, {})
        conv = j["kernel_by_op"]["QLinearConv"]  # ORT runs it NHWC, between two Transposes
        for k, v in (("kernel_min_us", j["kernel_min_us"]), ("kernel_median_us", j["kernel_median_us"]),
                     ("e2e_median_us", j["e2e_median_us"]), ("conv_min_us", conv["min_us"]),
                     ("conv_median_us", conv["median_us"])):
            p[k] = min(p.get(k, float("inf")), v)
mc = lambda n, us: macs[n] / (us * 1e-6 * hz)
print(f"core clock {hz / 1e9:.3f} GHz (measured in-process); best of {rounds} round(s); "
      f"bitlab: CPU time, min and median of {reps} repetitions; ORT: min and median of 200 runs; "
      "MAC/cycle from the minima")
print("| layer | MACs | bitlab µs min (median) | ORT kernels µs min (median) | ORT QLinearConv alone µs min (median) "
      "| ORT end-to-end µs median | bitlab MAC/cycle | ORT MAC/cycle, kernels (QLinearConv alone) | bitlab µs / ORT kernels µs |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in names:
    p = o[n]
    print(f"| {n} | {macs[n] / 1e6:.1f} M | {b[n]:.1f} ({bmed[n]:.1f}) | {p['kernel_min_us']:.0f} ({p['kernel_median_us']:.0f}) | "
          f"{p['conv_min_us']:.0f} ({p['conv_median_us']:.0f}) | {p['e2e_median_us']:.1f} | {mc(n, b[n]):.1f} | "
          f"{mc(n, p['kernel_min_us']):.1f} ({mc(n, p['conv_min_us']):.1f}) | {b[n] / p['kernel_min_us']:.2f} |")
PY
