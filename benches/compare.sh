#!/usr/bin/env bash
# Runs `bnlab bench` and the PyTorch reference (benches/torch_mlp.py) on the same cases, one
# after the other, and prints bnlab / PyTorch per case. Not part of the test suite.
#
#   benches/compare.sh [--data-dir DIR] [--quick] [--samples N]
#
# PyTorch is installed into benches/.venv when missing: the CPU wheel index when it is
# reachable, else plain `pip install torch`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
data_dir="${BNLAB_DATA_DIR:-/work/shared/data/mnist}"
extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data-dir) data_dir="$2"; shift 2 ;;
        --quick) extra+=(--quick); shift ;;
        --samples) extra+=(--samples "$2"); shift 2 ;;
        *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[[ -d "$data_dir" ]] || { echo "compare.sh: --data-dir $data_dir is not a folder" >&2; exit 2; }

venv="$here/.venv"
py="$venv/bin/python"
if ! { [[ -x "$py" ]] && "$py" -c 'import torch' 2>/dev/null; }; then
    echo "compare.sh: installing PyTorch into $venv" >&2
    python3 -m venv "$venv"
    cpu_index="https://download.pytorch.org/whl/cpu"
    if curl -sSf -m 10 -o /dev/null "$cpu_index/torch/"; then
        "$py" -m pip install -q --index-url "$cpu_index" torch
    else
        "$py" -m pip install -q torch
    fi
fi

(cd "$root" && cargo build --release -q)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$root/target/release/bnlab" bench --data-dir "$data_dir" "${extra[@]}" | tee "$out/bnlab.jsonl"
"$py" "$here/torch_mlp.py" --data-dir "$data_dir" "${extra[@]}" | tee "$out/torch.jsonl"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$py" - "$out/bnlab.jsonl" "$out/torch.jsonl" <<'PY'
import json, sys
def cases(path):
    out = {}
    for line in open(path):
        d = json.loads(line)
        if d.get("kind") in ("train", "eval"):
            out[(d["kind"], d["variant"], d["batch"], d["optimizer"] or "-", d["threads"])] = d
    return out
b, t = cases(sys.argv[1]), cases(sys.argv[2])
print(f"{'case':<34} {'bnlab':>10} {'pytorch':>10} {'ratio':>6}   (samples/s; eval: ms)")
for key in b:
    if key not in t:
        continue
    kind, variant, batch, opt, threads = key
    name = f"{kind} {variant} b{batch} {opt} t{threads}"
    if kind == "eval":
        x, y = b[key]["eval_ms"], t[key]["eval_ms"]
        print(f"{name:<34} {x:>10.2f} {y:>10.2f} {y / x:>6.2f}x faster")
    else:
        x, y = b[key]["samples_per_sec"], t[key]["samples_per_sec"]
        print(f"{name:<34} {x:>10.0f} {y:>10.0f} {x / y:>6.2f}")
PY
