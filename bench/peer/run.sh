#!/usr/bin/env bash
# bitlab's fast executor against ONNX Runtime on the MLPerf Tiny networks,
# batch 1, one thread, random weights (docs/benchmarks.md, "MLPerf Tiny
# networks against ONNX Runtime"). One run does: zoo export (w8a8, w4a8, w2a8)
# → QLinear ONNX of the int8 graph → bench_graph (bitlab) and run-ort.mjs (ORT)
# → a table. ORT comes from npm (bench/peer/package.json), installed here with
# --ignore-scripts: its CPU library ships inside the package.
#   bench/peer/run.sh BITLAB BENCH_GRAPH [WORKDIR]
#     BITLAB       the `bitlab` binary (LibTorch build; for the zoo export)
#     BENCH_GRAPH  bench/bench_graph of a Release build
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bitlab="$(realpath "$1")"
bench_graph="$(realpath "$2")"
work="${3:-$(mktemp -d)}"
mkdir -p "$work"
nets=(ds-cnn resnet8 mobilenet-v1-0.25-96 fc-autoencoder)

if [[ ! -d "$here/node_modules/onnxruntime-node" ]]; then
  (cd "$here" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
fi

for net in "${nets[@]}"; do
  "$bitlab" zoo export "$net" --policy w8a8 --out "$work/$net.w8.tq.json" --qlinear-onnx "$work/$net.onnx" >/dev/null
  for w in 4 2; do
    "$bitlab" zoo export "$net" --policy "w${w}a8" --out "$work/$net.w$w.tq.json" >/dev/null
  done
done

graphs=()
for net in "${nets[@]}"; do for w in 8 4 2; do graphs+=("$work/$net.w$w.tq.json"); done; done
# The minimum CPU time over repetitions: on a loaded machine the mean of wall
# time varied up to 2x between runs; preemption only ever adds time.
reps=5
"$bench_graph" --benchmark_min_time=0.5 --benchmark_repetitions=$reps --benchmark_report_aggregates_only=true \
  --benchmark_format=json "${graphs[@]}" > "$work/bitlab.json"
(cd "$here" && node run-ort.mjs $(for n in "${nets[@]}"; do echo "$work/$n.onnx"; done)) > "$work/ort.jsonl"

python3 - "$work" "$reps" "${nets[@]}" <<'PY'
import json, sys
work, reps, nets = sys.argv[1], sys.argv[2], sys.argv[3:]
b = {}
for r in json.load(open(f"{work}/bitlab.json"))["benchmarks"]:
    if r.get("aggregate_name") == "min":  # bench_graph's custom aggregate
        b[r["run_name"]] = r["cpu_time"]  # microseconds (Unit kMicrosecond)
o = {j["model"]: j for j in map(json.loads, open(f"{work}/ort.jsonl"))}
stat = f"min CPU of {reps}"
print(f"| network | bitlab int8 µs ({stat}) | bitlab w4 µs ({stat}) | bitlab w2 µs ({stat}) | ORT end-to-end µs (median) | ORT kernel µs (median) | bitlab int8 / ORT kernel |")
print("|---|---:|---:|---:|---:|---:|---:|")
for n in nets:
    w8, w4, w2 = (b[f"{n}.w{w}.tq.json"] for w in (8, 4, 2))
    r = o[f"{n}.onnx"]
    print(f"| {n} | {w8:.1f} | {w4:.1f} | {w2:.1f} | {r['e2e_median_us']:.1f} | {r['kernel_median_us']:.1f} | {w8 / r['kernel_median_us']:.2f} |")
PY
