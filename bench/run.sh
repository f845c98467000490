#!/usr/bin/env bash
# Builds the Opus server and the benchmark in Release, then runs the benchmark (a few minutes).
# The report (markdown) goes to standard output, progress to standard error.
#   bash bench/run.sh [--server path/to/Opus.Server.dll] [--only load|run|ref|lists|prov|sandbox|wait|client|scale|pg2]
#                     [--server-arg --Key=Value]... [--server-env NAME=VALUE]...   (experiments)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

# wrk drives the reference servers and Opus side by side (--only ref; the full run too).
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends wrk >&2
  else
    echo "wrk is missing (Debian package wrk)" >&2; exit 2
  fi
fi

echo "building (Release)..." >&2
# The bench project references the server (build order only), so this builds both.
dotnet build "$root/bench/Opus.Bench/Opus.Bench.csproj" -c Release --nologo -v quiet -clp:ErrorsOnly >&2

exec dotnet "$root/bench/Opus.Bench/bin/Release/net10.0/Opus.Bench.dll" \
  --server "$root/src/Opus.Server/bin/Release/net10.0/Opus.Server.dll" "$@"
