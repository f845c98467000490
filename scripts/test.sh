#!/usr/bin/env bash
# Runs every Opus test on this machine: installs what the tests need, restores, builds, brings up a
# single-node SLURM cluster and a PostgreSQL (scripts/start-slurm.sh, scripts/start-postgres.sh; stopped
# again at the end unless they were already running), then runs the xunit suites (Core, the server over
# real HTTP, once more with every server on PostgreSQL) and every Pester file in PowerShell 7.6.10
# (installed, with Pester 5.7.1, from NuGet when missing).
# Ends with one line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
configuration=${CONFIGURATION:-Release}
results=$(mktemp -d)
stop_slurm=0 stop_postgres=0 stop_cluster=0
cleanup() {
  [ "$stop_cluster" = 0 ] || bash scripts/stop-cluster.sh || true
  [ "$stop_slurm" = 0 ] || bash scripts/stop-slurm.sh || true
  [ "$stop_postgres" = 0 ] || bash scripts/stop-postgres.sh || true
  rm -rf "$results"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

say "Installing what the tests need"
need=()
command -v dotnet >/dev/null || { echo "dotnet (SDK 10) is required: https://dot.net" >&2; exit 2; }
command -v curl >/dev/null || need+=(curl)
# Node.js runs the sign-in tests' OpenID Provider (tests/idp); Debian's 18 will do, these machines have 20.
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v setsid >/dev/null || need+=(util-linux)
# Local jobs run sandboxed (Opus:Local:Sandbox=bubblewrap, the default).
command -v bwrap >/dev/null || need+=(bubblewrap)
# Graphviz draws PROV-SVG (provenance tests).
command -v dot >/dev/null || need+=(graphviz)
# Debian's Chromium for the web client's browser tests (Playwright drives it; it never downloads a browser).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Debian's nginx in front of a server: the tests of deploy/nginx/opus.conf (started by the test itself).
[ -x /usr/sbin/nginx ] || need+=(nginx)
# numpy and astropy write (and read back) the FITS and VOTable files of the result-view browser tests.
/usr/bin/python3 -c 'import astropy, numpy' 2>/dev/null || need+=(python3-astropy)
# The job page's "Copy as" Python snippet runs with requests and pyvo's UWS parser (Debian's python3-pyvo).
/usr/bin/python3 -c 'import pyvo, requests' 2>/dev/null || need+=(python3-pyvo python3-requests)
# The e-mail notice tests receive mail with a real SMTP server: Debian's aiosmtpd.
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || need+=(python3-aiosmtpd)
# A font, so the browser tests' screenshots show text.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
# The deployment kit's tests: systemd-analyze checks deploy/systemd/opus.service; sqlite3 backs up a running server.
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v sqlite3 >/dev/null || need+=(sqlite3)
# The Containerfile is built by podman on a base image made locally (scripts/local-base-image.sh: debootstrap).
command -v podman >/dev/null || need+=(podman)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    # Wait for another apt run rather than failing on its lock.
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "missing: ${need[*]} (install them, or run as root)" >&2; exit 2
  fi
fi
# Test-only npm packages, pinned by their package-lock.json: the real OpenID Provider of the sign-in
# tests (tests/idp: panva's oidc-provider) and the accessibility rules of the browser tests (tests/a11y: axe-core).
for folder in tests/idp tests/a11y; do
  (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
    || { echo "npm ci in $folder failed: the tests need its node_modules" >&2; exit 2; }
done
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# PowerShell and Pester, pinned, from NuGet when missing (sets $pwsh, $pester_modules, $pester_version).
source scripts/install-powershell.sh
echo "PowerShell $("$pwsh" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()'), Pester $pester_version"

say "Starting the test stack: SLURM and PostgreSQL"
# Whatever was already up (a developer's) is used and left running; what we start, we stop.
stack_start=$(date +%s.%N)
scontrol ping >/dev/null 2>&1 || stop_slurm=1
bash scripts/start-slurm.sh
# The multi-host cluster of the remote-transport tests (ssh, slurmrestd): namespaces beside the single node.
[ -s "${OPUS_CLUSTER_DIR:-/tmp/opus-cluster}/ctl.pid" ] || stop_cluster=1
bash scripts/start-cluster.sh
pg_up=0
for pg_ctl in /usr/lib/postgresql/*/bin/pg_ctl; do
  [ -x "$pg_ctl" ] && runuser -u postgres -- "$pg_ctl" -D "${OPUS_PG_DIR:-/tmp/opus-postgres}/data" status >/dev/null 2>&1 && pg_up=1
done
[ "$pg_up" = 1 ] || stop_postgres=1
bash scripts/start-postgres.sh
stack_seconds=$(awk -v s="$stack_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
echo "test stack up in $stack_seconds s"
export OPUS_MEASUREMENTS="$results/measurements.md"

say "Restoring and building ($configuration)"
dotnet restore Opus.sln --verbosity quiet
dotnet build Opus.sln --no-restore -c "$configuration" --verbosity quiet -nologo

passed=0 failed=0 skipped=0
run_suite() { # run_suite PROJECT [LABEL [dotnet test arguments...]]
  local project=$1 label=${2:-$(basename "$1")} status=0
  shift $(( $# < 2 ? $# : 2 ))
  local log="$results/$label.log"
  say "Testing $project ($label)"
  dotnet test "$project" --no-build -c "$configuration" --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?
  # The summary: "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, ..." (minimal
  # verbosity), or with the console logger at normal verbosity the block after "Total tests: N"
  # ("Passed: N", and "Failed: N" / "Skipped: N" when not 0).
  local summary p=0 f=0 s=0
  summary=$(grep -E '(Passed|Failed)! +- Failed: ' "$log" | tail -n 1 || true)
  if [ -n "$summary" ]; then
    p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")
    f=$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")
    s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")
  elif grep -qE '^Total tests: [0-9]+' "$log"; then
    summary=$(awk '/^Total tests: [0-9]+/ { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$log")
    p=$(grep -oE '^ +Passed: +[0-9]+' <<<"$summary" | grep -oE '[0-9]+' | tail -n 1 || echo 0)
    f=$(grep -oE '^ +Failed: +[0-9]+' <<<"$summary" | grep -oE '[0-9]+' | tail -n 1 || echo 0)
    s=$(grep -oE '^ +Skipped: +[0-9]+' <<<"$summary" | grep -oE '[0-9]+' | tail -n 1 || echo 0)
  else
    echo "no test summary from $project (build or host failure)"; failed=$((failed + 1)); return
  fi
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
  # Each failed test's name and the start of its message, repeated at the end where a short log tail shows it.
  grep -E -A 4 '^ +Failed [A-Za-z]' "$log" | sed "s|^|[$label] |" >>"$results/failures.txt" || true
  [ "$status" = 0 ] || [ "${f:-0}" != 0 ] || failed=$((failed + 1))
}

for project in tests/unit/*/*.csproj; do
  run_suite "$project"
done

# The server suite again with every test server on a PostgreSQL database of its own. Left out, having
# run above: what does not depend on the default storage (SLURM on one node and on the multi-host
# cluster, the two-process tests, the deployment kit's build and publish, TLS and nginx in front).
export OPUS_TEST_STORAGE=postgres
run_suite tests/unit/Opus.Server.Tests/Opus.Server.Tests.csproj "Opus.Server.Tests-on-PostgreSQL" \
  --filter "FullyQualifiedName!~Opus.Server.Tests.Slurm&FullyQualifiedName!~Opus.Server.Tests.Cluster&FullyQualifiedName!~Opus.Server.Tests.Postgres&FullyQualifiedName!~Opus.Server.Tests.Measurements&FullyQualifiedName!~Opus.Server.Tests.Operations.DeployKitTests&FullyQualifiedName!~Opus.Server.Tests.Edge"
unset OPUS_TEST_STORAGE

say "Pester (tests/pester) in PowerShell $pwsh_version"
bash scripts/build-module.sh "$configuration"
pester_out="$results/pester.txt"
# Every Pester file; blocks and files that fail outside an It (BeforeAll...) count as failures too.
PSModulePath="$pester_modules${PSModulePath:+:$PSModulePath}" "$pwsh" -NoProfile -NonInteractive -Command "
    Import-Module Pester -RequiredVersion $pester_version -ErrorAction Stop
    \$c = New-PesterConfiguration
    \$c.Run.Path = '$root/tests/pester'; \$c.Run.PassThru = \$true; \$c.Output.Verbosity = 'Detailed'
    \$r = Invoke-Pester -Configuration \$c
    \"PESTER \$(\$r.PassedCount) \$(\$r.FailedCount + \$r.FailedBlocksCount + \$r.FailedContainersCount) \$(\$r.SkippedCount + \$r.NotRunCount + \$r.InconclusiveCount)\"" \
  2>&1 | tee "$pester_out" || true
read -r _ p f s < <(grep '^PESTER ' "$pester_out" || echo "PESTER 0 1 0")
grep -E -A 2 '\[-\]' "$pester_out" | sed 's/\x1b\[[0-9;]*m//g; s/^/[pester] /' >>"$results/failures.txt" || true
passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))

if [ -s "$OPUS_MEASUREMENTS" ]; then
  say "Measurements (numbers, not pass/fail)"
  echo "test stack (SLURM + PostgreSQL) up in $stack_seconds s"
  cat "$OPUS_MEASUREMENTS"
fi

if [ -s "$results/failures.txt" ]; then
  say "Failures (each test's name and the start of its message; the whole output is above)"
  cat "$results/failures.txt"
fi
echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
