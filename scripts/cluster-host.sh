#!/usr/bin/env bash
# The holder process of one host of the test cluster (scripts/start-cluster.sh runs it inside the host's
# network namespace with its own UTS and mount namespaces). It gives the host its name, a private /run
# (its own munge socket, sshd folder), the cluster's slurm.conf and hosts file, optionally hides folders
# behind an empty tmpfs (no shared job folder), records its PID and then sleeps: everything else on the
# host is started with `nsenter -t PID -n -u -m`. Killing it ends the namespaces and their mounts.
#   cluster-host.sh NAME BASE [FOLDER TO HIDE...]
set -euo pipefail
name=$1 base=$2
shift 2
hostname "$name"
mount -t tmpfs -o mode=0755 "run-$name" /run
install -d -o munge -g munge -m 0755 /run/munge
install -d -m 0755 /run/sshd
mount --bind "$base/etc-slurm" /etc/slurm
mount --bind "$base/hosts" /etc/hosts
for folder in "$@"; do
  mkdir -p "$folder"
  mount -t tmpfs -o mode=0755 "hidden-$name" "$folder"
done
echo $$ >"$base/$name.pid"
exec sleep infinity
