#!/usr/bin/env pwsh
# 200 copy jobs created, started, waited for and collected (results downloaded) through the PowerShell
# module, on a local data folder and on a server: the figure the README gives. Needs the built module
# and server (dotnet build src/Opus.Server -c Release; bash scripts/build-module.sh).
#   pwsh bench/module-jobs.ps1 [-Count 200]
param([int]$Count = 200)
$ErrorActionPreference = 'Stop'
# The Pester helpers start a real server on a free port and import the built module.
. "$PSScriptRoot/../tests/pester/Common.ps1"

function Measure-Jobs([string]$Where, $Session) {
    $out = Join-Path ([IO.Path]::GetTempPath()) "opus-bench-out-$([guid]::NewGuid().ToString('N'))"
    try {
        $seconds = (Measure-Command {
            1..$Count | ForEach-Object { @{ text = "job $_" } } |
                New-UwsJob -Session $Session copy -Start |
                Wait-UwsJob -Timeout 1800 |
                Get-UwsJobResult -Name output -Destination $out | Out-Null
        }).TotalSeconds
        $files = @(Get-ChildItem -Recurse -File $out).Count
        if ($files -ne $Count) { throw "$Where : $files result files for $Count jobs" }
        [pscustomobject]@{ Session = $Where; Jobs = $Count; Seconds = [math]::Round($seconds, 1); JobsPerSecond = [math]::Round($Count / $seconds, 1) }
    }
    finally { Remove-Item -Recurse -Force $out -ErrorAction SilentlyContinue }
}

$server = Start-TestServer
$data = Join-Path ([IO.Path]::GetTempPath()) "opus-bench-$([guid]::NewGuid().ToString('N'))"
try {
    $local = Connect-OpusServer -DataPath $data -DefinitionsPath "$Root/definitions"
    $remote = Connect-OpusServer -Uri $server.Uri -Credential $server.Credential
    Measure-Jobs 'local (data folder)' $local
    Measure-Jobs 'remote (HTTP, same machine)' $remote
}
finally {
    Disconnect-OpusServer -Session $remote -ErrorAction SilentlyContinue
    Disconnect-OpusServer -Session $local -ErrorAction SilentlyContinue
    Stop-TestServer $server
    Remove-Item -Recurse -Force $data -ErrorAction SilentlyContinue
}
