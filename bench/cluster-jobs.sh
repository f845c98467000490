#!/usr/bin/env bash
# Remote-cluster benchmark: N trivial jobs (the "copy" sample) through Opus:Slurm:Transport=ssh, then
# through rest, to the multi-host test cluster of scripts/start-cluster.sh (started if needed, left
# running). For each transport: the time to create the N jobs over HTTP (PENDING), then from sending
# PHASE=RUN to all of them, the time until SLURM knows all N (submissions per second), until all N are
# COMPLETED, and the median of each job's endTime after that moment.
# Needs a Release build of the server (dotnet build src/Opus.Server -c Release).
#   bash bench/cluster-jobs.sh [N] [ssh|rest|both]     (N default 200)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-200}
which=${2:-both}
base=${OPUS_CLUSTER_DIR:-/tmp/opus-cluster}
server="$root/src/Opus.Server/bin/Release/net10.0/Opus.Server.dll"
admin=opus_bench_admin_token_0123456789abcdef
[ -f "$server" ] || { echo "build the server first: dotnet build src/Opus.Server -c Release" >&2; exit 2; }
bash "$root/scripts/start-cluster.sh" >/dev/null
# The median over the server's COMPLETED copy jobs of endTime less the moment PHASE=RUN was first sent
# (Unix seconds, the second argument), read from GET /jobs a page at a time.
median_run_to_completed() {
  python3 -c '
import datetime, json, statistics, sys, urllib.request
def at(text): return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
spans, offset = [], 0
while True:
    page = json.load(urllib.request.urlopen(f"{sys.argv[1]}/jobs?definition=copy&phase=COMPLETED&limit=1000&offset={offset}"))
    spans += [at(j["endTime"]).timestamp() - float(sys.argv[2]) for j in page["jobs"]]
    offset += len(page["jobs"])
    if not page["jobs"] or offset >= page["total"]:
        break
print(f"{statistics.median(spans):.1f}" if spans else "-")' "$1" "$2"
}
on_ctl() { nsenter -t "$(cat "$base/ctl.pid")" -n -u -m -- "$@"; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
fingerprint=$(ssh-keygen -l -E sha256 -f "$base/ssh/host_ed25519_key.pub" | awk '{ print $2 }')

run() {
  local transport=$1 port=$((20000 + RANDOM % 20000)) data; data=$(mktemp -d /tmp/opus-bench-cluster-XXXX)
  local settings=(--urls="http://127.0.0.1:$port;http://10.77.0.1:$port" --Opus:PublicUrl="http://10.77.0.1:$port"
    --Opus:DataPath="$data" --Opus:LoadSamples=true --Opus:Manager=slurm --Opus:Slurm:Transport="$transport" --Opus:MaxActiveJobsPerUser=0
    --Opus:Auth:AnonymousEnabled=true --Opus:Auth:AnonymousRoles:0='*' --Opus:Auth:AdminToken=$admin
    --Opus:Slurm:ReconcileInterval=00:00:05 --Logging:LogLevel:Default=Warning)
  if [ "$transport" = ssh ]; then
    settings+=(--Opus:Slurm:Ssh:Host=10.77.0.10 --Opus:Slurm:Ssh:User=root --Opus:Slurm:Ssh:KeyFile="$base/ssh/id_ed25519"
      --Opus:Slurm:Ssh:HostKeyFingerprint="$fingerprint")
  else
    settings+=(--Opus:Slurm:Rest:Url=http://10.77.0.10:6820 --Opus:Slurm:Rest:User=root --Opus:Slurm:Rest:TokenFile="$base/jwt-token")
  fi
  (cd "$data" && exec dotnet "$server" "${settings[@]}" >"$data/server.log" 2>&1) &
  local pid=$!
  # A failed step (set -e) must not leave the server running.
  trap "kill $pid 2>/dev/null || true" EXIT
  until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "the server did not start:" >&2; cat "$data/server.log" >&2; exit 1; }
    sleep 0.2
  done
  # SLURM ids grow: the jobs of this run are those above the highest id now (older ones are purged after MinJobAge).
  local before; before=$(on_ctl squeue -h -t all -o %i | sort -n | tail -1); before=${before:-0}
  # The N jobs are created PENDING first (timed apart), then all started at once, from one curl with 8
  # transfers in flight: the time until SLURM knows all N is the submission rate, not the HTTP client's.
  local i
  for i in $(seq "$n"); do
    [ "$i" = 1 ] || echo next
    printf 'url = "http://127.0.0.1:%s/rest/copy"\ndata = "text=job %s"\noutput = "/dev/null"\nwrite-out = "%%{redirect_url}\\n"\nfail\nsilent\n' "$port" "$i"
  done >"$data/bench-create.curl"
  local start; start=$(now)
  curl -s --no-progress-meter --parallel --parallel-max 8 -K "$data/bench-create.curl" >"$data/bench-jobs.txt"
  local created; created=$(since "$start")
  [ "$(grep -c /rest/copy/ "$data/bench-jobs.txt")" = "$n" ] || { echo "not every job was created" >&2; exit 1; }
  local first=1 url
  while read -r url; do
    [ "$first" = 1 ] || echo next
    first=0
    printf 'url = "%s/phase"\ndata = "PHASE=RUN"\noutput = "/dev/null"\nfail\nsilent\n' "$url"
  done <"$data/bench-jobs.txt" >"$data/bench-run.curl"
  start=$(now)
  local run_sent=$start
  curl -s --no-progress-meter --parallel --parallel-max 8 -K "$data/bench-run.curl"
  local started; started=$(since "$start")
  until [ "$(on_ctl squeue -h -t all -o %i | awk -v b="$before" '$1 > b' | wc -l)" -ge "$n" ]; do sleep 0.2; done
  local submitted; submitted=$(since "$start")
  until curl -sf -u "admin:$admin" "http://127.0.0.1:$port/status" | python3 -c "
import json, sys; jobs = json.load(sys.stdin)['jobs']; sys.exit(0 if jobs['COMPLETED'] + jobs['ERROR'] + jobs['ABORTED'] >= $n else 1)"; do sleep 0.5; done
  local completed; completed=$(since "$start")
  local errors; errors=$(curl -sf -u "admin:$admin" "http://127.0.0.1:$port/status" | python3 -c "import json, sys; print(json.load(sys.stdin)['jobs']['ERROR'])")
  local median; median=$(median_run_to_completed "http://127.0.0.1:$port" "$run_sent")
  printf '| %s | %d | %s | %s | %s | %.0f | %s | %s | %s | %s |\n' "$transport" "$n" "$created" "$started" "$submitted" \
    "$(awk -v n="$n" -v t="$submitted" 'BEGIN { print n / t }')" "$completed" "$median" "$errors" "$(cut -d' ' -f1-3 /proc/loadavg)"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}

echo "Load average at the start: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; cluster: 2 compute hosts x 4 declared CPUs (same cores)."
echo
echo "| transport | jobs | created PENDING over HTTP (s) | PHASE=RUN sent to all (s) | all known to SLURM (s) | submissions/s | all COMPLETED (s) | a job's end after RUN, median (s) | ERROR | load average at the end |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
[ "$which" = rest ] || run ssh
[ "$which" = ssh ] || run rest
