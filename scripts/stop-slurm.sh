#!/usr/bin/env bash
# Stops the cluster scripts/start-slurm.sh brought up: cancels every job first (stopping the
# daemons alone leaves running jobs alive), then slurmd, slurmctld and munged (if we started it)
# by their PIDs, and removes the state, the logs and the configuration.
set -uo pipefail
base=${OPUS_SLURM_DIR:-/tmp/opus-slurm}
conf=/etc/slurm/slurm.conf

say() { echo "stop-slurm: $*"; }
# stop_pid FILE: SIGTERM, up to 15 s to exit, then SIGKILL.
stop_pid() {
  [ -s "$1" ] || return 0
  local pid; pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid"
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "$pid did not exit after SIGTERM; SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
}

if scontrol ping >/dev/null 2>&1; then
  jobs=$(squeue -h -o %i 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    say "cancelling jobs $jobs"
    # shellcheck disable=SC2086
    scancel $jobs
    for _ in $(seq 300); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.1; done
    [ -z "$(squeue -h -o %i 2>/dev/null)" ] || say "jobs still listed after 30 s: $(squeue -h -o '%i %T' | tr '\n' ' ')"
  fi
fi

stop_pid "$base/slurmd.pid"
stop_pid "$base/slurmctld.pid"
if [ -e "$base/munge.ours" ]; then
  stop_pid /run/munge/munged.pid
fi
if [ -e "$conf" ] && grep -qF "# Opus's single-node SLURM cluster" "$conf"; then
  rm -f "$conf"
fi
rm -rf "$base"
say "stopped"
