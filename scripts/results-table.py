#!/usr/bin/env python3
"""Prints a Markdown table of finished bitlab runs (their metrics.json files),
as pasted into docs/results.md.

    python3 scripts/results-table.py runs/fmnist-cnn-float runs/qat/* runs/ptq/*

The float baseline for the "vs float" column is the first run given that has
no quantization section (or --float DIR)."""
import argparse
import json
import pathlib
import sys


def load(run_dir):
    path = pathlib.Path(run_dir) / "metrics.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        sys.exit(f"results-table: {path}: missing (has the run finished?)")
    except json.JSONDecodeError as e:
        sys.exit(f"results-table: {path}: not JSON ({e})")


def describe_policy(config):
    q = config.get("quantization")
    if not q:
        return "float", "-"
    policy = q.get("policy", "")
    if isinstance(policy, str):
        return policy, q.get("algorithm", "")
    default_alg = policy.get("algorithm", q.get("algorithm", "ste"))
    w = policy.get("weights", {})
    a = policy.get("activations", {})
    w_alg = w.get("algorithm", default_alg)
    a_alg = a.get("algorithm", default_alg)
    name = f"W{w.get('bits', '?')}A{a.get('bits', '?')}"
    if policy.get("default"):
        name = policy["default"].upper()
    if policy.get("layers"):
        name += f" + {len(policy['layers'])} overrides"
    algs = w_alg if w_alg == a_alg else f"{w_alg} (w) / {a_alg} (a)"
    return name, algs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--float", dest="float_dir")
    args = parser.parse_args()

    runs = [(d, load(d)) for d in args.runs]
    base = None
    if args.float_dir:
        base = load(args.float_dir)["final"]["accuracy"]
    else:
        for _, m in runs:
            if not m["config"].get("quantization"):
                base = m["final"]["accuracy"]
                break

    print("| run | precision | algorithm | init | epochs | lr | flips | train time | test acc | vs float |")
    print("|---|---|---|---|---:|---:|---|---:|---:|---:|")
    for d, m in runs:
        if m.get("status") != "finished":
            print(f"| {pathlib.Path(d).name} | (not finished: {m.get('status')}) | | | | | | | | |")
            continue
        config = m["config"]
        precision, algorithm = describe_policy(config)
        q = config.get("quantization") or {}
        if m.get("kind") == "ptq":
            init = f"PTQ, {q.get('calibration', {}).get('method', '?')} calibration"
            epochs = "0"
            lr = "-"
            flips = "-"
            seconds = f"{m.get('seconds', 0):.0f} s (calibration + eval)"
        else:
            init = q.get("init", "-") if q else "random"
            epochs = str(len(m.get("epochs", [])))
            lr = f"{config['train']['lr']:g}"
            flips = "yes" if config["train"].get("augment", True) else "no"
            seconds = f"{m.get('train_seconds', 0) / 60:.1f} min"
        acc = m["final"]["accuracy"]
        delta = "" if base is None or not q else f"{100 * (acc - base):+.2f} pp"
        print(f"| {pathlib.Path(d).name} | {precision} | {algorithm} | {init} | {epochs} | {lr} | {flips} | {seconds} | "
              f"{100 * acc:.2f} % | {delta} |")


if __name__ == "__main__":
    main()
