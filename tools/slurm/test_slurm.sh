#!/usr/bin/env bash
# make test-slurm: install Slurm and munge if missing, start a single-node test cluster on
# loopback, run the whole pipeline locally and through snakemake-executor-plugin-slurm
# (profiles/slurm) in two copies of the repository, check that every bundle's manifest and
# zip are identical, and stop the daemons started here (by their PIDs), also on failure.
#
#   tools/slurm/test_slurm.sh      (VENV_PYTHON: the venv's python, default .venv/bin/python)
#
# Keeps the cluster's state folder and the two runs when a step fails (it says where).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${VENV_PYTHON:-$ROOT/.venv/bin/python}"
CLUSTER="$ROOT/tools/slurm/cluster.sh"

if [ "$(id -u)" != 0 ]; then
  echo "make test-slurm must run as root: it installs slurm-wlm and munge with apt-get and" \
    "runs a test cluster whose daemons and jobs run as root (CI runs it as root)" >&2
  exit 1
fi

step=$SECONDS
"$CLUSTER" install
t_install=$((SECONDS - step))

STATE="$(mktemp -d "${TMPDIR:-/tmp}/councilsurvey-slurm.XXXXXX")"
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  local t=$SECONDS
  "$CLUSTER" stop "$STATE" || code=1
  echo "cluster stopped in $((SECONDS - t)) s"
  if [ "$code" = 0 ]; then
    rm -rf "$STATE"
  else
    echo "test-slurm failed; cluster logs in $STATE/log, the two runs in $STATE/runs" >&2
  fi
  exit "$code"
}
trap cleanup EXIT
# on Ctrl-C or SIGTERM, stop the runner (it stops the runs), then clean up as on exit
runner=""
on_signal() {
  if [ -n "$runner" ]; then
    kill -TERM "$runner" 2>/dev/null || true
    wait "$runner" || true
  fi
  exit "$1"
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

step=$SECONDS
"$CLUSTER" start "$STATE"
t_start=$((SECONDS - step))
# shellcheck source=/dev/null
. "$STATE/env"

# in the background, so that a signal reaches the trap at once (not after the runs)
"$PYTHON" "$ROOT/tools/slurm/test_slurm.py" --work "$STATE/runs" \
  --timing "install=$t_install" --timing "cluster start=$t_start" &
runner=$!
wait "$runner"
