#!/usr/bin/env bash
# Opt-in, not CI: a single-node Slurm on this machine (Debian's slurm-wlm and munge, as root),
# to run docs/cluster.md's job-array recipe for real.
#   scripts/slurm/local.sh start   writes /etc/slurm/slurm.conf, starts munged, slurmctld and
#                                  slurmd, and waits (at most a minute) for the node to be idle
#   scripts/slurm/local.sh check   runs a 2 lr x 3 seed grid as a 6-task array with a
#                                  dependent merge and compares the pool with one process's run
#   scripts/slurm/local.sh stop    stops the daemons it started (it starts them in the foreground and keeps their pids)
# Install first: apt-get install -y slurm-wlm munge
set -euo pipefail
cd "$(dirname "$0")/../.."
conf=/etc/slurm/slurm.conf
pids=/run/bnlab-slurm
host=$(hostname -s)

start() {
  command -v slurmctld >/dev/null || { echo "slurm-wlm is not installed: apt-get install -y slurm-wlm munge" >&2; exit 1; }
  mkdir -p "$pids" /run/munge /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /etc/slurm
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  chown munge:munge /etc/munge/munge.key /run/munge
  chmod 400 /etc/munge/munge.key
  chown slurm:slurm /var/spool/slurmctld /var/log/slurm
  local mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  cat >"$conf" <<CONF
ClusterName=bnlab
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  # In the foreground, started by this shell: `$!` is then the daemon itself, so `stop` kills
  # exactly what `start` started (the daemons' own pid files were not written reliably).
  setpriv --reuid munge --regid munge --init-groups /usr/sbin/munged -F >/dev/null 2>&1 &
  echo $! >"$pids/munged.pid"
  for _ in $(seq 50); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
  slurmctld -D >/dev/null 2>&1 &
  echo $! >"$pids/slurmctld.pid"
  slurmd -D >/dev/null 2>&1 &
  echo $! >"$pids/slurmd.pid"
  for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -q idle; then
      sinfo
      return 0
    fi
    sleep 1
  done
  echo "the node did not become idle within a minute; see /var/log/slurm/" >&2
  sinfo >&2 || true
  exit 1
}

stop() {
  for d in slurmd slurmctld munged; do
    if [ -s "$pids/$d.pid" ]; then
      kill "$(cat "$pids/$d.pid")" 2>/dev/null || true
      rm -f "$pids/$d.pid"
    fi
  done
}

check() {
  cargo build --release -q
  export BNLAB=$PWD/target/release/bnlab
  local work grid=(--preset ioffe2015 --dataset mnist-5k --steps 40 --eval-every 20 --sweep lr=0.1,0.5 --seeds 3)
  work=$(mktemp -d /tmp/bnlab-slurm-XXXX)
  chmod 755 "$work"
  scripts/slurm/grid.sh "$work" "${grid[@]}"
  for _ in $(seq 300); do
    [ -f "$work/pooled/report.md" ] && break
    [ -z "$(squeue -h)" ] && break
    sleep 1
  done
  squeue || true
  [ -f "$work/pooled/report.md" ] || { echo "no pooled report; logs in $work/logs" >&2; tail "$work"/logs/* >&2; exit 1; }
  "$BNLAB" run "${grid[@]}" --quiet --out "$work/one" >/dev/null
  local one
  one=$(ls -d "$work"/one/*/)
  cmp "$one/metrics.csv" "$work/pooled/metrics.csv"
  # Every summary.csv row, the wall-clock columns aside (no two runs share those).
  python3 - "$one/summary.csv" "$work/pooled/summary.csv" <<'PY'
import csv, sys
def rows(p):
    return [{k: v for k, v in r.items() if k not in ("elapsed_s", "samples_per_sec")}
            for r in csv.DictReader(open(p))]
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert a == b, "summary.csv of the pool differs from the one-process run"
print(f"summary.csv: {len(a)} rows equal")
PY
  echo "ok: $(ls "$work/tasks" | wc -l) task folders pooled into $work/pooled equal the one-process run"
  echo "last JSON line of task 0: $(tail -n 1 "$work/logs/task-0.out" | cut -c1-160)..."
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  check) check ;;
  *) echo "usage: $0 start|check|stop" >&2; exit 2 ;;
esac
