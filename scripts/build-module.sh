#!/usr/bin/env bash
# Assembles the PowerShell module in artifacts/module/Opus/: manifest, cmdlet assembly, Opus.Core and its dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-Release}
out=artifacts/module/Opus
rm -rf "$out"
dotnet publish src/Opus.PowerShell -c "$configuration" -o "$out" --nologo --verbosity quiet
cp module/Opus.psd1 "$out/"
echo "module assembled in $out"
