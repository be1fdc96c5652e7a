#!/usr/bin/env bash
# Runs a bnlab grid as a Slurm job array, one array task per grid task, and pools it with
# `bnlab report` in a job that starts only once every task has succeeded.
# Usage: scripts/slurm/grid.sh OUT_DIR [bnlab run flags: --preset, --sweep, --seeds, ...]
# Prints the two job ids; the pooled run and its report.md end up in OUT_DIR/pooled.
set -euo pipefail
out=$(realpath -m "$1")
shift
here=$(cd "$(dirname "$0")" && pwd)
export BNLAB=${BNLAB:-$(command -v bnlab)}
export OUT=$out
# One line per (point, seed) pair: the largest useful array.
n=$("$BNLAB" run "$@" --plan 2>/dev/null | wc -l)
[ "$n" -gt 0 ] || { "$BNLAB" run "$@" --plan; exit 2; }
mkdir -p "$out/tasks" "$out/logs"
array=$(sbatch --parsable --array="0-$((n - 1))" --output="$out/logs/task-%a.out" \
  "$here/task.sbatch" "$@")
merge=$(sbatch --parsable --dependency="afterok:$array" --job-name=bnlab-merge \
  --output="$out/logs/merge.out" \
  --wrap="\"$BNLAB\" report \"$out\"/tasks/* --out \"$out/pooled\"")
echo "array $array ($n tasks), merge $merge"
