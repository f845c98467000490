#!/usr/bin/env bash
# Assembles the PowerShell module in artifacts/module/Opus/ (or $OPUS_MODULE_OUT):
#   Opus.psd1, Opus.Format.ps1xml       the manifest and table views (module/)
#   Opus.PowerShell.dll                 the cmdlets, loaded by PowerShell into its default context
#   en-US/Opus.PowerShell.dll-Help.xml  MAML help generated from the cmdlets' XML doc comments
#   Dependencies/                       Opus.Client (the HTTP client) with Opus.Core, Opus.Client.deps.json and
#                                       every dependency (EF Core, SQLite with its
#                                       native library, YamlDotNet...) for linux-x64, the one platform the
#                                       module supports, loaded into the module's own AssemblyLoadContext, so
#                                       they never clash with the host's
# and next to the module folder, repository/Opus.VERSION.nupkg: the module as a package, the folder being
# a PSResourceGet repository (Register-PSResourceRepository -Uri it, then Install-PSResource Opus).
# Needs pwsh (7.4 or later: Compress-PSResource) for the package.
# Usage: scripts/build-module.sh [Configuration]   (Release by default)
set -euo pipefail
cd "$(dirname "$0")/.."
configuration=${1:-Release}
out=${OPUS_MODULE_OUT:-artifacts/module/Opus}
repository=$(dirname "$out")/repository
# The platform of the native libraries shipped (SQLite's); others are left out of the module.
rid=linux-x64

# One version: Directory.Build.props' OpusVersion is the assemblies' and must be the manifest's.
version=$(sed -n 's:.*<OpusVersion>\(.*\)</OpusVersion>.*:\1:p' Directory.Build.props)
manifest_version=$(sed -n "s/^ *ModuleVersion *= *'\([^']*\)'.*/\1/p" module/Opus.psd1)
if [ "$version" != "$manifest_version" ]; then
  echo "module/Opus.psd1 has ModuleVersion '$manifest_version', Directory.Build.props has OpusVersion '$version': make them equal" >&2
  exit 1
fi

rm -rf "$out"
mkdir -p "$out/Dependencies" "$out/en-US"
# Opus.Client references Opus.Core: publishing it brings both, and one deps.json for the load context.
dotnet publish src/Opus.Client -c "$configuration" -r "$rid" --self-contained false -o "$out/Dependencies" --nologo --verbosity quiet
# The migrations of each provider, which EF loads by name into the same context (Opus.Core cannot reference them).
for provider in Sqlite Postgres; do
  dotnet build "src/Opus.Migrations.$provider" -c "$configuration" --nologo --verbosity quiet
  cp "src/Opus.Migrations.$provider/bin/$configuration/net10.0/Opus.Migrations.$provider.dll" "$out/Dependencies/"
done
dotnet build src/Opus.PowerShell -c "$configuration" --nologo --verbosity quiet
bin=src/Opus.PowerShell/bin/$configuration/net10.0
cp "$bin/Opus.PowerShell.dll" "$out/"
cp module/Opus.psd1 module/Opus.Format.ps1xml "$out/"
dotnet build tools/Opus.HelpGenerator -c "$configuration" --nologo --verbosity quiet
dotnet "tools/Opus.HelpGenerator/bin/$configuration/net10.0/Opus.HelpGenerator.dll" \
  "$out/Opus.PowerShell.dll" "$bin/Opus.PowerShell.xml" "$out/en-US/Opus.PowerShell.dll-Help.xml" "$out/Dependencies"
echo "module $version assembled in $out"

pwsh=$(command -v pwsh || echo "$HOME/.dotnet/tools/pwsh")
mkdir -p "$repository"
rm -f "$repository/Opus.$version.nupkg"
"$pwsh" -NoProfile -NonInteractive -Command '& { param($module, $repository) $ErrorActionPreference = "Stop"; Compress-PSResource -Path $module -DestinationPath $repository }' \
  "$(cd "$out" && pwd)" "$(cd "$repository" && pwd)"
[ -f "$repository/Opus.$version.nupkg" ] || { echo "no $repository/Opus.$version.nupkg" >&2; exit 1; }
echo "package $repository/Opus.$version.nupkg"
