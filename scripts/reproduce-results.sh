#!/usr/bin/env bash
# Reproduces every accuracy figure in docs/results.md: the float recipe, PTQ of
# it with each calibration method, and each QAT run of configs/qat/. Runs that
# already finished are kept (delete runs/... to redo one); a killed run resumes.
# Two jobs run side by side (one LibTorch thread each: two cores).
#
#   scripts/reproduce-results.sh            # everything (about 2 hours on 2 cores)
#   scripts/reproduce-results.sh float ptq  # only some stages: float, ptq, qat
#
# Then `python3 scripts/results-table.py runs/...` prints the tables.
set -euo pipefail
cd "$(dirname "$0")/.."
BITLAB=${BITLAB:-build/src/apps/bitlab}
JOBS=${JOBS:-2}
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(float ptq qat)
want() { local s; for s in "${stages[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

# Trains CONFIG into its output.dir unless that run already finished.
train() {
  local config=$1 dir
  dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["output"]["dir"])' "$config")
  if [ -f "$dir/metrics.json" ] && grep -q '"status": *"finished"' "$dir/metrics.json"; then
    echo "skip $config (finished: $dir)"; return 0
  fi
  if [ -f "$dir/checkpoint.pt" ]; then
    "$BITLAB" train "$config" --resume --quiet
  else
    "$BITLAB" train "$config" --quiet
  fi
}
export -f train
export BITLAB

if want float; then train configs/fmnist-cnn-long.json; fi

if want ptq; then
  for method in minmax ema percentile mse; do
    out=runs/ptq/w8a8-$method
    [ -f "$out/metrics.json" ] && { echo "skip $out"; continue; }
    "$BITLAB" quantize runs/fmnist-cnn-long/checkpoint.pt --ptq --policy w8a8 --calibration "$method" --out "$out"
  done
  for policy in w4a8 configs/policies/mixed-w4.json; do
    out=runs/ptq/$(basename "$policy" .json)-mse
    [ -f "$out/metrics.json" ] && { echo "skip $out"; continue; }
    "$BITLAB" quantize runs/fmnist-cnn-long/checkpoint.pt --ptq --policy "$policy" --calibration mse --out "$out"
  done
fi

if want qat; then
  # Longest runs first, so the workers finish together.
  mkdir -p runs
  for f in configs/qat/*.json; do
    echo "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["train"]["epochs"])' "$f") $f"
  done | sort -rn -k1,1 | cut -d' ' -f2 | xargs -P "$JOBS" -I{} bash -c 'train {} > "runs/$(basename {} .json).log" 2>&1 && echo "done {}" || echo "FAILED {} (see runs/$(basename {} .json).log)"'
fi
