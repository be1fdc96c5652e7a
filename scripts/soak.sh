#!/usr/bin/env bash
# Long-run memory check: runs bnlab headless (or the TUI in tmux) for N minutes, samples the
# resident memory every 10 s, then interrupts it with SIGINT and checks the run was saved.
# Usage: scripts/soak.sh [headless|tui] [minutes] [extra bnlab run flags...]
set -euo pipefail
mode=${1:-headless}
minutes=${2:-20}
shift $(( $# > 2 ? 2 : $# )) || true
cd "$(dirname "$0")/.."
cargo build --release -q
bin=$PWD/target/release/bnlab
work=$(mktemp -d)
out=$work/rss.csv
echo "seconds,rss_mb" > "$out"
if [ "$mode" = tui ]; then
  tmux new-session -d -s bnlab-soak -x 120 -y 40 -c "$work" "$bin $*"
  sleep 3
  # Open the first preset, set 1000 epochs (the 8th field of the form), start.
  tmux send-keys -t bnlab-soak Enter
  sleep 1
  for _ in 1 2 3 4 5 6 7; do tmux send-keys -t bnlab-soak Down; done
  tmux send-keys -t bnlab-soak BSpace BSpace BSpace BSpace 1 0 0 0 Enter
  sleep 2
  tmux capture-pane -p -t bnlab-soak | head -4
  pid=$(pgrep -n -f "^$bin")
else
  (cd "$work" && exec "$bin" run --steps 100000000 --out "$work/runs" -q "$@" > "$work/stdout" 2> "$work/stderr") &
  pid=$!
fi
end=$(( SECONDS + minutes * 60 ))
start=$SECONDS
while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo 0)
  echo "$(( SECONDS - start )),$(( rss / 1024 ))" >> "$out"
  sleep 10
done
kill -INT "$pid" 2>/dev/null || true
if [ "$mode" = tui ]; then sleep 3; tmux kill-session -t bnlab-soak 2>/dev/null || true; else wait "$pid" || true; fi
echo "rss samples: $out"
awk -F, 'NR==2 {first=$2} NR>1 {last=$2; if ($2>max) max=$2} END {printf "first %d MB, last %d MB, max %d MB over %d samples\n", first, last, max, NR-1}' "$out"
# `ls` fails when one of the two globs matches nothing, so test what it printed.
found=$(ls -d "$work"/runs/* "$work"/saved_runs/* 2>/dev/null || true)
if [ -n "$found" ]; then echo "$found"; else echo "no run folder found"; fi
