#!/usr/bin/env bash
# A throwaway single-node Slurm cluster on loopback, for `make test-slurm`.
#
#   tools/slurm/cluster.sh install      apt-get install slurm-wlm and munge, if missing
#   tools/slurm/cluster.sh start DIR    write DIR/slurm.conf, start munged, slurmctld -D and
#                                       slurmd -D, wait until the node is idle
#   tools/slurm/cluster.sh stop DIR     cancel the cluster's jobs, stop the daemons started
#                                       for DIR (by the PIDs recorded in DIR/run)
#
# Every file of the cluster (configuration, munge key and socket, state, spool, logs, PIDs)
# is in DIR, and the daemons listen on 127.0.0.1 on ports found free at start, so the
# cluster cannot collide with a Slurm or munge the machine runs already. After `start`,
# clients (sbatch, squeue, scancel, and so the executor plugin) need SLURM_CONF=DIR/slurm.conf
# and the jobs an srun that keeps it (DIR/bin): `. DIR/env` sets both. Needs root: the
# daemons, and so the jobs, run as root.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PARTITION="${SLURM_TEST_PARTITION:-main}"
START_TIMEOUT="${SLURM_TEST_START_TIMEOUT:-90}"

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (the test cluster's daemons and jobs run as
  root, and slurm-wlm/munge are installed with apt-get); run it as root, e.g. in CI"
}

install() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v munged >/dev/null && command -v sbatch >/dev/null; then
    echo "slurm-wlm and munge are installed ($(slurmctld -V))"
    return
  fi
  need_root
  command -v apt-get >/dev/null || die "slurm-wlm and munge are missing and there is no apt-get"
  echo "Installing slurm-wlm and munge with apt-get"
  # Debian's maintainer scripts may try to start munge and slurm through invoke-rc.d; in a
  # container without an init system they do not start, and if they do, they use the
  # default socket and ports, not ours
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
  echo "Installed $(slurmctld -V)"
}

# Two TCP ports free on 127.0.0.1 (bound and released at once; nothing else here races us)
free_ports() {
  python3 - <<'EOF'
import socket

socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# Start a daemon in the background, in the foreground mode of the daemon itself, and record
# its PID: `stop` ends exactly this process
launch() {
  local name=$1
  shift
  "$@" >>"$STATE/log/$name.out" 2>&1 &
  echo $! >"$STATE/run/$name.launched.pid"
}

running() {
  local pidfile="$STATE/run/$1.launched.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

show_logs() {
  for f in "$STATE"/log/*; do
    [ -s "$f" ] || continue
    echo "----- $f (last 30 lines)" >&2
    tail -n 30 "$f" >&2
  done
}

start() {
  need_root
  for cmd in munged mungekey munge slurmctld slurmd sinfo sbatch srun squeue scancel python3; do
    command -v "$cmd" >/dev/null || die "$cmd not found (run: tools/slurm/cluster.sh install)"
  done
  mkdir -p "$STATE"/{munge/private,slurmctld,slurmd,log,run}
  # munged wants its socket's folders open to all (a socket is how other users reach it)
  # and its key's folder closed to everyone but its owner
  chmod 755 "$STATE" "$STATE/munge"
  chmod 700 "$STATE/munge/private"

  # munge: our own key, socket, PID, log and seed files
  local socket="$STATE/munge/munge.socket.2"
  mungekey --create --keyfile="$STATE/munge/private/munge.key" --force
  chmod 400 "$STATE/munge/private/munge.key"
  launch munged munged --foreground --socket="$socket" \
    --key-file="$STATE/munge/private/munge.key" --pid-file="$STATE/run/munged.pid" \
    --log-file="$STATE/log/munged.log" --seed-file="$STATE/munge/private/munged.seed"
  local waited=0
  until munge --socket="$socket" -n 2>/dev/null | unmunge --socket="$socket" >/dev/null 2>&1; do
    running munged || { show_logs; die "munged exited at start"; }
    [ "$waited" -lt 100 ] || { show_logs; die "munged did not answer within 10 s"; }
    sleep 0.1
    waited=$((waited + 1))
  done

  # slurm.conf: this machine's CPUs and most of its memory, on two free ports
  local cpus mem_mb ports
  cpus=$(nproc)
  # leave 10% (at least 512 MiB) of the memory to the system
  mem_mb=$(awk '/^MemTotal:/ {m = int($2 / 1024); r = int(m / 10); if (r < 512) r = 512;
    print m - r}' /proc/meminfo)
  read -r -a ports <<<"$(free_ports)"
  sed -e "s|@STATE@|$STATE|g" -e "s|@CTLD_PORT@|${ports[0]}|" \
    -e "s|@SLURMD_PORT@|${ports[1]}|" -e "s|@CPUS@|$cpus|" -e "s|@MEMORY_MB@|$mem_mb|" \
    -e "s|@PARTITION@|$PARTITION|" "$HERE/slurm.conf.in" >"$STATE/slurm.conf"
  export SLURM_CONF="$STATE/slurm.conf"
  # Inside a job, snakemake-executor-plugin-slurm-jobstep runs the rule with `srun`, but
  # first drops every SLURM_* variable from srun's environment, SLURM_CONF too; srun then
  # looks for /etc/slurm/slurm.conf (or a configless slurmd's /run/slurm/conf), which a real
  # cluster has and this one must not touch. So the jobs find an `srun` first on their PATH
  # (sbatch exports the environment) that puts SLURM_CONF back.
  mkdir -p "$STATE/bin"
  printf '#!/bin/sh\nSLURM_CONF=%s exec %s "$@"\n' "$SLURM_CONF" "$(command -v srun)" \
    >"$STATE/bin/srun"
  chmod 755 "$STATE/bin/srun"
  printf 'export SLURM_CONF=%s\nexport PATH=%s:"$PATH"\n' "$SLURM_CONF" "$STATE/bin" \
    >"$STATE/env"

  # -i: ignore any saved state (there is none in a new folder)
  launch slurmctld slurmctld -D -i -f "$SLURM_CONF"
  launch slurmd slurmd -D -N localhost -f "$SLURM_CONF"

  # wait until the node is idle
  local state="" started=$SECONDS
  while true; do
    state=$(sinfo -h -N -n localhost -o '%T' 2>/dev/null || true)
    [ "$state" = idle ] && break
    for d in slurmctld slurmd; do
      running "$d" || { show_logs; die "$d exited at start"; }
    done
    if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
      show_logs
      die "the node is not idle after ${START_TIMEOUT} s (state: '${state:-no answer}')"
    fi
    sleep 0.5
  done
  echo "Slurm cluster up: partition $PARTITION, node localhost ($cpus CPUs, $mem_mb MB)," \
    "slurmctld on 127.0.0.1:${ports[0]}, slurmd on :${ports[1]}; SLURM_CONF=$SLURM_CONF"
}

# End one recorded daemon: TERM, up to 15 s to exit, then KILL. Only the recorded PID, and
# only if it still runs the program we started (a PID is not reused while we wait on it,
# but it may be before `stop` runs)
stop_daemon() {
  local name=$1 pidfile="$STATE/run/$1.launched.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: $name ($pid) did not stop within 15 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped $name ($pid)"
  fi
  rm -f "$pidfile"
}

stop() {
  [ -d "$STATE/run" ] || return 0
  export SLURM_CONF="$STATE/slurm.conf"
  # jobs still queued or running (after a failure) would outlive slurmd in their slurmstepd:
  # cancel them on this private cluster and give them a moment to end
  if running slurmctld && [ -f "$SLURM_CONF" ]; then
    if [ -n "$(timeout 10 squeue -h -o %i 2>/dev/null || true)" ]; then
      echo "cancelling the test cluster's remaining jobs"
      timeout 10 scancel --user=root 2>/dev/null || true
      for _ in $(seq 30); do
        [ -z "$(timeout 10 squeue -h -o %i 2>/dev/null || true)" ] && break
        sleep 0.5
      done
    fi
  fi
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
}

case "${1:-}" in
  install) install ;;
  start | stop)
    [ -n "${2:-}" ] || die "usage: $0 $1 DIR"
    mkdir -p "$2"
    STATE="$(cd "$2" && pwd)"
    "$1"
    ;;
  *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
