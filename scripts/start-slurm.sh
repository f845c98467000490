#!/usr/bin/env bash
# Brings up a single-node SLURM cluster on this machine for Opus (tests, development):
# munge, slurmctld and slurmd, reached on 127.0.0.1, configured by scripts/slurm.conf.in.
# Installs the Debian packages when missing (needs root). Idempotent: a cluster already up with
# the same configuration is left as it is. Stop it with scripts/stop-slurm.sh.
#   OPUS_SLURM_DIR  state, spool and logs (default /tmp/opus-slurm)
#   OPUS_SLURM_CPUS CPUs the node declares (default 8: several trivial test jobs at once)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${OPUS_SLURM_DIR:-/tmp/opus-slurm}
conf=/etc/slurm/slurm.conf
marker="# Opus's single-node SLURM cluster"
started=$(date +%s.%N)

say() { echo "start-slurm: $*"; }
fail() { echo "start-slurm: $*" >&2; exit 1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# wait_for SECONDS COMMAND...: polls every 0.1 s; false when time runs out.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

[ "$(id -u)" = 0 ] || fail "run as root (slurmd must run as root; packages may need installing)"

missing=()
for tool in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client; do
  [ -x "/usr/sbin/${tool%%:*}" ] || command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# MUNGE: a key owned by munge, mode 0400, and the daemon run as munge (as root it refuses its log file).
[ -s /etc/munge/munge.key ] || runuser -u munge -- /usr/sbin/mungekey --create
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  mkdir -p "$base"
  touch "$base/munge.ours"   # stop-slurm.sh stops munged only when we started it
  wait_for 10 sh -c 'munge -n | unmunge' || fail "munged did not come up; see /var/log/munge/munged.log"
fi

host=$(hostname -s)
cpus=${OPUS_SLURM_CPUS:-8}
memory=$(( $(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) - 1024 ))
wanted=$(sed -e "s|@HOST@|$host|g" -e "s|@BASE@|$base|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEMORY@|$memory|g" "$here/slurm.conf.in")

if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
  fail "$conf exists and is not Opus's; move it away first"
fi

if [ "$(cat "$conf" 2>/dev/null)" = "$wanted" ] && alive "$base/slurmctld.pid" && alive "$base/slurmd.pid" \
   && scontrol ping >/dev/null 2>&1; then
  say "already running (slurmctld $(cat "$base/slurmctld.pid"), slurmd $(cat "$base/slurmd.pid"))"
else
  mkdir -p "$base/state" "$base/spool" "$base/log" /etc/slurm
  printf '%s\n' "$wanted" >"$conf"
  # Daemon mode: each forks, writes its pid file and replaces a running copy found through it.
  /usr/sbin/slurmctld
  /usr/sbin/slurmd
  wait_for 30 scontrol ping || fail "slurmctld did not answer; see $base/log/slurmctld.log"
fi

node_ready() { case "$(sinfo -h -n "$host" -o %T)" in idle|mixed|allocated) return 0;; *) return 1;; esac; }
if ! wait_for 30 node_ready; then
  # A node left down or drained by an earlier run comes back on request.
  scontrol update nodename="$host" state=resume 2>/dev/null || true
  wait_for 30 node_ready || fail "node $host is $(sinfo -h -n "$host" -o %T); see $base/log/slurmd.log"
fi

say "up in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s: node $host, $cpus CPUs, partitions: $(sinfo -h -o %P | tr '\n' ' ')"
say "stop it with: $here/stop-slurm.sh"
