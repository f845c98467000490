#!/usr/bin/env bash
# Installs what the Pester tests need when it is missing, and nothing else: PowerShell 7.6.10 (the .NET
# global tool, in ~/.dotnet/tools) and Pester 5.7.1 (its NuGet package's tools/ folder is the module) in
# artifacts/powershell/Modules. Both pinned, from the NuGet registry only (no apt, no PowerShell Gallery).
# scripts/test.sh sources it (and then uses $pwsh, $pester_modules, $pester_version); run alone, it
# prints what to put on PATH and PSModulePath.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Pester goes into a module folder of the project's (artifacts/, ignored by git).
pwsh_version=7.6.10 pester_version=5.7.1
export PATH="$HOME/.dotnet/tools:$PATH"
pwsh="$HOME/.dotnet/tools/pwsh"
if [ "$("$pwsh" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null)" != "$pwsh_version" ]; then
  # "update" installs when absent and moves any other version to the pinned one.
  dotnet tool update --global PowerShell --version "$pwsh_version" >/dev/null \
    || { echo "could not install PowerShell $pwsh_version (dotnet tool)" >&2; exit 2; }
fi
pester_modules="$root/artifacts/powershell/Modules"
if [ ! -f "$pester_modules/Pester/$pester_version/Pester.psd1" ]; then
  download=$(mktemp -d)
  # A throwaway project outside the repository (none of its build settings apply) that only downloads Pester.
  cat > "$download/download.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$pester_version]" /></ItemGroup>
</Project>
EOF
  dotnet restore "$download/download.csproj" --packages "$download/packages" --verbosity quiet \
    || { echo "could not download Pester $pester_version from NuGet" >&2; exit 2; }
  mkdir -p "$pester_modules/Pester"
  rm -rf "$pester_modules/Pester/$pester_version"
  cp -r "$download/packages/pester/$pester_version/tools" "$pester_modules/Pester/$pester_version"
  rm -rf "$download"
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "PowerShell $("$pwsh" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()') in $pwsh, Pester $pester_version in $pester_modules"
  echo "export PATH=\"$HOME/.dotnet/tools:\$PATH\" PSModulePath=\"$pester_modules\""
fi
