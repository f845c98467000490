#!/usr/bin/env bash
# Runs every Opus test on this machine: installs what the tests need, restores, builds, then runs
# the xunit suites (Core, the server over real HTTP) and the Pester suite when pwsh exists.
# Ends with one line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
configuration=${CONFIGURATION:-Release}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

say() { printf '\n== %s\n' "$*"; }

say "Installing what the tests need"
need=()
command -v dotnet >/dev/null || { echo "dotnet (SDK 10) is required: https://dot.net" >&2; exit 2; }
command -v curl >/dev/null || need+=(curl)
command -v setsid >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    # Wait for another apt run rather than failing on its lock.
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "missing: ${need[*]} (install them, or run as root)" >&2; exit 2
  fi
fi
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say "Restoring and building ($configuration)"
dotnet restore Opus.sln --verbosity quiet
dotnet build Opus.sln --no-restore -c "$configuration" --verbosity quiet -nologo

passed=0 failed=0 skipped=0
run_suite() { # run_suite PROJECT
  local project=$1 log="$results/$(basename "$1").log" status=0
  say "Testing $project"
  dotnet test "$project" --no-build -c "$configuration" --nologo --logger "console;verbosity=normal" 2>&1 | tee "$log" || status=$?
  # The summary line: "Passed!  - Failed:     0, Passed:    12, Skipped:     0, Total:    12, ..."
  local summary
  summary=$(grep -E '(Passed|Failed)! +- Failed: ' "$log" | tail -n 1 || true)
  if [ -z "$summary" ]; then
    echo "no test summary from $project (build or host failure)"; failed=$((failed + 1)); return
  fi
  passed=$((passed + $(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$summary")))
  failed=$((failed + $(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")))
  skipped=$((skipped + $(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$summary")))
  [ "$status" = 0 ] || [ "$(sed -E 's/.*Failed: +([0-9]+),.*/\1/' <<<"$summary")" != 0 ] || failed=$((failed + 1))
}

for project in tests/unit/*/*.csproj; do
  run_suite "$project"
done

say "Pester (tests/pester)"
if command -v pwsh >/dev/null; then
  bash scripts/build-module.sh "$configuration"
  pester_out="$results/pester.txt"
  if pwsh -NoProfile -NonInteractive -Command "
      Import-Module Pester -MinimumVersion 5.0 -ErrorAction Stop
      \$c = New-PesterConfiguration
      \$c.Run.Path = '$root/tests/pester'; \$c.Run.PassThru = \$true; \$c.Output.Verbosity = 'Detailed'
      \$r = Invoke-Pester -Configuration \$c
      \"PESTER \$(\$r.PassedCount) \$(\$r.FailedCount) \$(\$r.SkippedCount)\"" | tee "$pester_out"; then :; fi
  read -r _ p f s < <(grep '^PESTER ' "$pester_out" || echo "PESTER 0 1 0")
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
else
  # No PowerShell host on this machine: say which Pester files did not run.
  for file in tests/pester/*.Tests.ps1; do
    [ -e "$file" ] || continue
    echo "SKIPPED (pwsh is not installed): $file"
    skipped=$((skipped + $(grep -cE '^\s*It ' "$file")))
  done
fi

echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
