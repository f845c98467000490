#!/usr/bin/env bash
# Stops the cluster scripts/start-cluster.sh brought up: cancels every job first (stopping the daemons
# alone leaves running jobs alive), then slurmrestd, sshd, the slurmds, slurmctld and the munge daemons
# by their PIDs, the host holders (their mounts vanish with them), the namespaces and the bridge, and
# removes the state, logs and keys.
set -uo pipefail
base=${OPUS_CLUSTER_DIR:-/tmp/opus-cluster}
bridge=opusbr0
hosts=(ctl n1 n2)
say() { echo "stop-cluster: $*"; }
holder_alive() { [ -s "$base/$1.pid" ] && kill -0 "$(cat "$base/$1.pid")" 2>/dev/null; }
on() { local host=$1; shift; nsenter -t "$(cat "$base/$host.pid")" -n -u -m -- "$@"; }
# stop_pid PID: SIGTERM, up to 15 s to exit, then SIGKILL.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid"
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  say "$pid did not exit after SIGTERM; SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
}
pid_of() { [ -s "$1" ] && cat "$1"; }

if holder_alive ctl && on ctl scontrol ping >/dev/null 2>&1; then
  jobs=$(on ctl squeue -h -o %i 2>/dev/null | tr '\n' ' ')
  if [ -n "${jobs// /}" ]; then
    say "cancelling jobs $jobs"
    # shellcheck disable=SC2086
    on ctl scancel $jobs
    for _ in $(seq 300); do [ -z "$(on ctl squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.1; done
  fi
fi

stop_pid "$(pid_of "$base/slurmrestd.pid")"
stop_pid "$(pid_of "$base/sshd.pid")"
for host in n1 n2; do stop_pid "$(pid_of "$base/slurmd-$host.pid")"; done
stop_pid "$(pid_of "$base/slurmctld.pid")"
for host in "${hosts[@]}"; do
  if holder_alive "$host"; then
    stop_pid "$(on "$host" cat /run/munge/munged.pid 2>/dev/null)"
    # Whatever a job left on the host (none when jobs were cancelled above).
    stop_pid "$(cat "$base/$host.pid")"
  fi
  ip netns del "opus-$host" 2>/dev/null || true
done
ip link del "$bridge" 2>/dev/null || true
rm -rf "$base"
say "stopped"
