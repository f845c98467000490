#!/usr/bin/env bash
# Staging over HTTP (Opus:Slurm:Staging=http), measured: one SLURM job on the local cluster
# (scripts/start-slurm.sh) with an input of SIZE_MIB MiB that it copies to a result of the same size.
# Its batch script logs how long fetching and checking the bundle took (stage in) and how long sending
# the results and logs took (stage out); both are compared with a plain loopback copy of the same file
# over HTTP (curl against a minimal Python server, GET to disk and PUT to disk) measured in the same run.
# Memory, which must stay flat whatever the size: the server's resident set at start and its peak over the
# whole run (VmHWM, the upload included), and the peak sum of the resident sets of the job's processes on
# the node (curl, tar, sha256sum...: every process whose environment names the SLURM job), sampled.
#   bash bench/staging.sh [SIZE_MIB]        (default 1024, the issue's 1 GiB, which is also Opus:Inputs:MaxBytes;
#                                            needs about 7 times SIZE_MIB free under /tmp; builds nothing:
#                                            build the server in Release first)
# A markdown table goes to standard output, progress to standard error.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size_mib=${1:-1024}
server_dll=${OPUS_SERVER_DLL:-"$root/src/Opus.Server/bin/Release/net10.0/Opus.Server.dll"}
[ -f "$server_dll" ] || { echo "build the server first: dotnet build src/Opus.Server -c Release" >&2; exit 1; }
scontrol ping >/dev/null 2>&1 || { echo "SLURM is not running: scripts/start-slurm.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/opus-bench-staging-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1048576 / s }'; }
status_mib() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

mkdir -p "$work/data" "$work/definitions" "$work/scratch" "$work/files" "$work/copy"
echo "writing $size_mib MiB of random bytes..." >&2
head -c "$((size_mib * 1048576))" /dev/urandom >"$work/files/input.bin"
bytes=$(stat -c %s "$work/files/input.bin")
expected=$(sha256sum <"$work/files/input.bin" | cut -d' ' -f1)

# The loopback reference: the same bytes over HTTP on 127.0.0.1, from disk to disk, without Opus.
cat >"$work/plain.py" <<'EOF'
import http.server, shutil, sys
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_PUT(self):
        left = int(self.headers["Content-Length"])
        with open(sys.argv[3], "wb") as out:
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                out.write(chunk)
                left -= len(chunk)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer.allow_reuse_address = True
handler = lambda *a, **k: Handler(*a, directory=sys.argv[2], **k)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
EOF
# The peak sum of VmRSS (KiB) of the processes whose environment has SLURM_JOB_NAME=$1, sampled every 0.25 s
# until the file $2 exists (a sampled peak: a process shorter than a sample can be missed).
cat >"$work/job-peak.py" <<'EOF'
import os, sys, time
name, stop, peak = ("SLURM_JOB_NAME=" + sys.argv[1]).encode(), sys.argv[2], 0
while not os.path.exists(stop):
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if name not in environ.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/status") as status:
                total += next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
        except OSError:
            pass
    peak = max(peak, total)
    time.sleep(0.25)
print(peak)
EOF
plain_port=$(free_port)
python3 "$work/plain.py" "$plain_port" "$work/files" "$work/copy/put.bin" &
pids+=($!)
until curl -s -o /dev/null "http://127.0.0.1:$plain_port/"; do sleep 0.1; done
echo "loopback copies..." >&2
t0=$(now); curl -s -f -o "$work/copy/get.bin" "http://127.0.0.1:$plain_port/input.bin"; t1=$(now)
plain_get=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now); curl -s -f -T "$work/files/input.bin" -o /dev/null "http://127.0.0.1:$plain_port/put"; t1=$(now)
plain_put=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
rm -f "$work/copy/"*.bin

cat >"$work/definitions/stage-bench.yaml" <<'EOF'
name: stage-bench
version: "1"
description: Copies its input to its result.
executionDuration: 3600
used:
  - name: data
    contentType: application/octet-stream
    url: file://$ID
    required: true
generated:
  - name: copy
    file: copy.bin
    contentType: application/octet-stream
script: |
  cp "$data" copy.bin
EOF
port=$(free_port)
(cd "$work/data" && exec dotnet "$server_dll" --urls="http://127.0.0.1:$port" --Opus:DataPath="$work/data" \
  --Opus:DefinitionsPath="$work/definitions" --Opus:Manager=slurm --Opus:Slurm:Staging=http \
  --Opus:Slurm:Scratch="$work/scratch" --Opus:Slurm:ReconcileInterval=00:00:02 \
  --Opus:Auth:AnonymousEnabled=true --Opus:Auth:AnonymousRoles:0=stage-bench \
  --Opus:Auth:AdminToken=opus_bench_admin_token_0123456789abcdef >"$work/server.log" 2>&1) &
server_pid=$!
pids+=("$server_pid")
until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.2; done
server_start_mib=$(status_mib "$server_pid" VmRSS)

echo "running the staged job..." >&2
job=$(curl -s -o /dev/null -w '%{redirect_url}' -F "data=@$work/files/input.bin" -F PHASE=RUN "http://127.0.0.1:$port/rest/stage-bench")
[ -n "$job" ] || { echo "the job was not created:" >&2; tail -n 20 "$work/server.log" >&2; exit 1; }
python3 "$work/job-peak.py" "opus-${job##*/}" "$work/sampled" >"$work/job-peak" &
pids+=($!)
sampler=$!
phase=QUEUED
while [ "$phase" != COMPLETED ] && [ "$phase" != ERROR ] && [ "$phase" != ABORTED ]; do
  phase=$(curl -s "$job?WAIT=30&PHASE=$phase" | sed -n 's:.*<uws\:phase>\([A-Z]*\)</uws\:phase>.*:\1:p')
done
collected=$(now)
touch "$work/sampled"
wait "$sampler"
[ "$phase" = COMPLETED ] || { echo "the job ended $phase:" >&2; curl -s "$job/error" >&2; exit 1; }
actual=$(curl -s "$job/results/copy" | sha256sum | cut -d' ' -f1)
[ "$actual" = "$expected" ] || { echo "the result's SHA-256 is $actual, not $expected" >&2; exit 1; }

log="$work/data/jobs/${job##*/}/runner.log"
staged_in=$(sed -n 's/^opus staging: bundle fetched and checked in \([0-9.]*\) s$/\1/p' "$log")
staged_out=$(sed -n 's/^opus staging: results and logs sent in \([0-9.]*\) s$/\1/p' "$log")
# The script's end (its time in the events file), then stage out; what follows until the bench sees COMPLETED
# is the end reported and the results collected into the store.
script_end=$(sed -n 's/^\([0-9.]*\) COMPLETED.*/\1/p' "$work/data/jobs/${job##*/}/events" | tail -n 1)

echo "| what | $size_mib MiB | MiB/s |"
echo "| --- | --- | --- |"
echo "| stage in: bundle fetched, written and SHA-256 checked on the node | $staged_in s | $(rate "$bytes" "$staged_in") |"
echo "| stage out: result hashed, sent, SHA-256 checked and stored in the job folder | $staged_out s | $(rate "$bytes" "$staged_out") |"
echo "| end collected: from the results sent to COMPLETED (end reported, result hashed or not, moved into the store) | $(awk -v a="$script_end" -v o="$staged_out" -v b="$collected" 'BEGIN { printf "%.3f", b - a - o }') s | |"
echo "| loopback copy, HTTP GET to disk (curl, Python server) | $(printf '%.3f' "$plain_get") s | $(rate "$bytes" "$plain_get") |"
echo "| loopback copy, HTTP PUT to disk (curl, Python server) | $(printf '%.3f' "$plain_put") s | $(rate "$bytes" "$plain_put") |"
echo
echo "| memory | MiB |"
echo "| --- | --- |"
echo "| server, resident at start | $server_start_mib |"
echo "| server, peak resident over the run (VmHWM: upload, bundle sent, results received and stored) | $(status_mib "$server_pid" VmHWM) |"
echo "| node, peak resident of the job's processes together (sampled every 0.25 s) | $(awk '{ printf "%.0f", $1 / 1024 }' "$work/job-peak") |"
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores."
