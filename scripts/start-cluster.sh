#!/usr/bin/env bash
# Brings up a SLURM cluster of three separate hosts on this machine, for the remote-cluster tests and
# benchmarks: network namespaces on a bridge in a private range that exists only here, each host with
# its own hostname, /run, munged and mount namespace (scripts/cluster-host.sh holds them):
#   ctl  slurmctld, slurmrestd (JWT) and sshd: the login node
#   n1   slurmd -N n1
#   n2   slurmd -N n2
# The machine itself gets the bridge's first address, so an Opus server here reaches the hosts and
# they reach it. Coexists with scripts/start-slurm.sh's cluster (own namespaces, ports and slurm.conf).
# Installs the Debian packages when missing (needs root). Idempotent: a cluster already up is left as it is.
# Stop it with scripts/stop-cluster.sh.
#   --hide FOLDER   hide FOLDER on the compute hosts too (an empty tmpfs over it): no shared
#                   job folder with the server (repeatable; default: only the data root below)
#   OPUS_CLUSTER_DATA  always hidden on n1 and n2, also on a cluster already up (default
#                   /var/tmp/opus-cluster-data): servers keep their data folders under it, so the
#                   nodes cannot see them (the cluster tests do)
#   OPUS_CLUSTER_DIR  state, logs, keys (default /tmp/opus-cluster)
#   OPUS_CLUSTER_NET  the first three octets of the range (default 10.77.0)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${OPUS_CLUSTER_DIR:-/tmp/opus-cluster}
net=${OPUS_CLUSTER_NET:-10.77.0}
data_root=${OPUS_CLUSTER_DATA:-/var/tmp/opus-cluster-data}
bridge=opusbr0
hide=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hide) hide+=("$(realpath -m "$2")"); shift 2 ;;
    *) echo "start-cluster: unknown argument $1 (use --hide FOLDER)" >&2; exit 2 ;;
  esac
done
started=$(date +%s.%N)
say() { echo "start-cluster: $*"; }
fail() { echo "start-cluster: $*" >&2; exit 1; }
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
[ "$(id -u)" = 0 ] || fail "run as root (namespaces, slurmd)"

declare -A address=([ctl]=$net.10 [n1]=$net.11 [n2]=$net.12)
hosts=(ctl n1 n2)
ctld_port=7817 slurmd_port=7818 rest_port=6820 ssh_port=22

missing=()
for tool in munged:munge slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client slurmrestd:slurmrestd sshd:openssh-server \
            nsenter:util-linux ip:iproute2; do
  [ -x "/usr/sbin/${tool%%:*}" ] || command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[ -e /usr/lib/x86_64-linux-gnu/slurm-wlm/auth_jwt.so ] || missing+=(slurm-wlm-jwt-plugin)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

on() { local host=$1; shift; nsenter -t "$(cat "$base/$host.pid")" -n -u -m -- "$@"; }
holder_alive() { [ -s "$base/$1.pid" ] && kill -0 "$(cat "$base/$1.pid")" 2>/dev/null; }
daemon_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The same hiding as asked for before, or a rebuild.
wanted_hide=$(printf '%s\n' "${hide[@]+"${hide[@]}"}")
if [ -e "$base/hidden" ] && [ "$(cat "$base/hidden")" != "$wanted_hide" ]; then
  say "other folders to hide than the running cluster's: rebuilding it"
  bash "$here/stop-cluster.sh"
fi

# Files every host sees: keys, slurm.conf, hosts.
install -d -m 0755 "$base" "$base/etc-slurm" "$base/log" "$base/state" "$base/spool" "$base/ssh"
install -d -o munge -g munge -m 0700 "$base/munge"
printf '%s\n' "$wanted_hide" >"$base/hidden"
[ -s "$base/munge/munge.key" ] || runuser -u munge -- /usr/sbin/mungekey --create --keyfile="$base/munge/munge.key"
[ -s "$base/jwt.key" ] || { head -c 32 /dev/urandom >"$base/jwt.key"; chmod 0600 "$base/jwt.key"; }
[ -s "$base/ssh/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C opus-cluster-host -f "$base/ssh/host_ed25519_key"
[ -s "$base/ssh/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C opus-cluster-client -f "$base/ssh/id_ed25519"
cp "$base/ssh/id_ed25519.pub" "$base/ssh/authorized_keys"
{
  echo "127.0.0.1 localhost"
  echo "$net.1 server"
  for host in "${hosts[@]}"; do echo "${address[$host]} $host"; done
} >"$base/hosts"
cat >"$base/etc-slurm/slurm.conf" <<EOF
# Opus's multi-host test cluster (scripts/start-cluster.sh): one controller, two compute hosts.
ClusterName=opusnet
SlurmctldHost=ctl(${address[ctl]})
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthAltTypes=auth/jwt
AuthAltParameters=jwt_key=$base/jwt.key
StateSaveLocation=$base/state
SlurmdSpoolDir=$base/spool/%n
SlurmctldPidFile=$base/slurmctld.pid
SlurmdPidFile=$base/slurmd-%n.pid
SlurmctldLogFile=$base/log/slurmctld.log
SlurmdLogFile=$base/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MinJobAge=600
KillWait=5
# A job whose node fails ends (NODE_FAIL) rather than being requeued.
JobRequeue=0
# A node whose slurmd stops answering is DOWN after this long, and its jobs NODE_FAIL.
SlurmdTimeout=20
JobCompType=jobcomp/filetxt
JobCompLoc=$base/log/jobcomp.txt
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MailProg=/bin/true
SlurmdParameters=config_overrides
NodeName=n1 NodeAddr=${address[n1]} CPUs=4 RealMemory=2000 Features=n1 State=UNKNOWN
NodeName=n2 NodeAddr=${address[n2]} CPUs=4 RealMemory=2000 Features=n2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=parked Nodes=ALL Default=NO MaxTime=INFINITE State=DOWN
EOF
cat >"$base/ssh/sshd_config" <<EOF
Port $ssh_port
ListenAddress ${address[ctl]}
HostKey $base/ssh/host_ed25519_key
PidFile $base/sshd.pid
AuthorizedKeysFile $base/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 100
MaxStartups 100:30:200
EOF

mkdir -p /etc/slurm
# Network: a bridge with the machine's address, one veth per host.
if ! ip link show "$bridge" >/dev/null 2>&1; then
  ip link add "$bridge" type bridge
  ip addr add "$net.1/24" dev "$bridge"
  ip link set "$bridge" up
fi
for host in "${hosts[@]}"; do
  ns=opus-$host
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns"
    ip link add "veth-opus-$host" type veth peer name eth0 netns "$ns"
    ip link set "veth-opus-$host" master "$bridge" up
    ip -n "$ns" addr add "${address[$host]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  fi
  if ! holder_alive "$host"; then
    # ip netns exec would remount /sys, which slurmd cannot live with: nsenter joins the network only.
    folders=()
    [ "$host" = ctl ] || folders=("${hide[@]+"${hide[@]}"}")
    setsid nsenter --net="/run/netns/$ns" unshare --uts --mount --propagation private --fork \
      bash "$here/cluster-host.sh" "$host" "$base" "${folders[@]+"${folders[@]}"}" </dev/null >"$base/log/$host-holder.log" 2>&1 &
  fi
done
for host in "${hosts[@]}"; do
  wait_for 10 holder_alive "$host" || fail "host $host did not come up; see $base/log/$host-holder.log"
  # The holder writes its PID before it sleeps: wait for /run to be its own.
  wait_for 10 on "$host" test -d /run/munge || fail "host $host has no private /run"
done

# The data root: an empty tmpfs over it on the compute hosts, mounted into their namespaces (so also on a
# cluster started before this rule, without a restart); slurmd and its jobs see the empty one.
install -d -m 1777 "$data_root"
for host in n1 n2; do
  on "$host" mountpoint -q "$data_root" || on "$host" mount -t tmpfs -o mode=0755 "hidden-$host" "$data_root"
done

# munge on each host, on its default socket in the host's own /run.
for host in "${hosts[@]}"; do
  if ! on "$host" sh -c 'munge -n | unmunge' >/dev/null 2>&1; then
    on "$host" runuser -u munge -- /usr/sbin/munged --key-file="$base/munge/munge.key" \
      --log-file="$base/munge/munged-$host.log" --pid-file=/run/munge/munged.pid --seed-file="$base/munge/seed-$host"
    wait_for 10 on "$host" sh -c 'munge -n | unmunge' || fail "munged on $host did not come up; see $base/munge/munged-$host.log"
  fi
done

if ! { daemon_alive "$base/slurmctld.pid" && on ctl scontrol ping >/dev/null 2>&1; }; then
  on ctl /usr/sbin/slurmctld
  wait_for 30 on ctl scontrol ping || fail "slurmctld did not answer; see $base/log/slurmctld.log"
fi
for host in n1 n2; do
  daemon_alive "$base/slurmd-$host.pid" || on "$host" /usr/sbin/slurmd -N "$host"
done
if ! daemon_alive "$base/slurmrestd.pid"; then
  # slurmrestd refuses to run as root; SLURM_JWT=daemon makes it pass each request's token on.
  on ctl setsid sh -c 'echo $$ >"$1"; shift; SLURM_JWT=daemon exec "$@"' rest "$base/slurmrestd.pid" \
    /usr/sbin/slurmrestd -a rest_auth/jwt -s openapi/v0.0.38 -u nobody -g nogroup "${address[ctl]}:$rest_port" \
    </dev/null >"$base/log/slurmrestd.log" 2>&1 &
  wait_for 10 daemon_alive "$base/slurmrestd.pid" || fail "slurmrestd did not start; see $base/log/slurmrestd.log"
fi
# sshd runs every command through the login account's shell, which reads ~/.bashrc. This machine's root
# .bashrc starts pyenv (about 100 ms a command, the most of a submission's cost); the login node's root
# gets an empty one, as a site's service account for Opus would have (README: Running on a cluster).
if [ -f /root/.bashrc ] && ! on ctl findmnt -rn /root/.bashrc >/dev/null 2>&1; then
  : >"$base/ssh/bashrc"
  on ctl mount --bind "$base/ssh/bashrc" /root/.bashrc
fi
daemon_alive "$base/sshd.pid" || on ctl /usr/sbin/sshd -f "$base/ssh/sshd_config" -E "$base/log/sshd.log"

node_ready() { case "$(on ctl sinfo -h -n "$1" -o %T)" in idle|mixed|allocated) return 0;; *) return 1;; esac; }
for host in n1 n2; do
  if ! wait_for 30 node_ready "$host"; then
    on ctl scontrol update nodename="$host" state=resume 2>/dev/null || true
    wait_for 30 node_ready "$host" || fail "node $host is $(on ctl sinfo -h -n "$host" -o %T); see $base/log/slurmd-$host.log"
  fi
done
# A token for root (the REST tests submit as root, as the ssh ones do), valid a day.
token_command="nsenter -t \$(cat $base/ctl.pid) -n -u -m -- scontrol token username=root lifespan=86400"
on ctl scontrol token username=root lifespan=86400 | sed -n 's/^SLURM_JWT=//p' >"$base/jwt-token"
chmod 0600 "$base/jwt-token"
[ -s "$base/jwt-token" ] || fail "scontrol token gave nothing; see $base/log/slurmctld.log"
wait_for 10 bash -c "exec 3<>/dev/tcp/${address[ctl]}/$rest_port" || fail "slurmrestd does not listen; see $base/log/slurmrestd.log"
wait_for 10 bash -c "exec 3<>/dev/tcp/${address[ctl]}/$ssh_port" || fail "sshd does not listen; see $base/log/sshd.log"
host_fingerprint=$(ssh-keygen -l -E sha256 -f "$base/ssh/host_ed25519_key.pub" | awk '{ print $2 }')

say "up in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s"
say "this machine: $net.1 (bridge $bridge); ctl ${address[ctl]}, n1 ${address[n1]}, n2 ${address[n2]}"
say "login node: ssh -i $base/ssh/id_ed25519 -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no root@${address[ctl]}"
say "ssh key: $base/ssh/id_ed25519; host key: $base/ssh/host_ed25519_key.pub ($host_fingerprint)"
say "slurmrestd: http://${address[ctl]}:$rest_port/slurm/v0.0.38/ (user root, token in $base/jwt-token)"
say "a new token: $token_command"
say "hidden on n1, n2: $data_root $(echo "$wanted_hide" | tr '\n' ' ')"
say "run a command on a host: nsenter -t \$(cat $base/HOST.pid) -n -u -m -- COMMAND; stop with: $here/stop-cluster.sh"
