#!/usr/bin/env bash
# Publishes the server as a framework-dependent linux-x64 release folder (it runs on the ASP.NET Core 10
# runtime: `dotnet Opus.Server.dll`), with only linux-x64's native libraries (SQLite's):
#   artifacts/opus-VERSION-linux-x64/   the server, appsettings.json, definitions/, wwwroot/ (the web client),
#                                       LICENSE, docs/operations.md and deploy/ (systemd unit, container recipe)
# The version is Directory.Build.props' OpusVersion. deploy/container/Containerfile copies this folder.
# Usage: scripts/publish.sh [output parent folder]   (artifacts by default); prints the folder it made.
set -euo pipefail
cd "$(dirname "$0")/.."
parent=${1:-artifacts}
rid=linux-x64
version=$(sed -n 's:.*<OpusVersion>\(.*\)</OpusVersion>.*:\1:p' Directory.Build.props)
[ -n "$version" ] || { echo "no OpusVersion in Directory.Build.props" >&2; exit 1; }
out="$parent/opus-$version-$rid"

rm -rf "$out"
# UseAppHost=false: the service runs `dotnet Opus.Server.dll`, no native launcher is shipped.
dotnet publish src/Opus.Server/Opus.Server.csproj -c Release -r "$rid" --self-contained false \
  -p:UseAppHost=false -p:PublishDocumentationFile=false -o "$out" --nologo --verbosity quiet >&2
cp LICENSE "$out/"
mkdir -p "$out/docs" "$out/deploy"
cp docs/operations.md "$out/docs/"
cp -r deploy/systemd deploy/container "$out/deploy/"
echo "$out"
