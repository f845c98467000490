#!/usr/bin/env pwsh

<#
.SYNOPSIS
Exports the provenance of every job of the last day (or since -Since) as PROV-JSON and PROV-N files.

.DESCRIPTION
Lists the jobs created since -Since that have ended (COMPLETED, ERROR or ABORTED unless -Phase says
otherwise) and writes, for each, PATH/JOBID.json (PROV-JSON) and PATH/JOBID.provn (PROV-N). A pair that
exists is kept unless -Force, so a daily run only adds the new jobs. Writes the files written.

.PARAMETER Path
The folder the files go into (created when missing).

.PARAMETER Since
Jobs created at or after this time (default: 24 hours ago).

.PARAMETER Phase
The phases of the jobs exported (default: COMPLETED, ERROR, ABORTED).

.PARAMETER Force
Overwrite files that exist.

.PARAMETER Session
The Opus session (Connect-OpusServer's answer); the last connected when absent.

.EXAMPLE
./Export-RecentProvenance.ps1 -Path /archive/prov/$(Get-Date -Format yyyy-MM-dd)
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string]$Path,
    [DateTime]$Since = [DateTime]::UtcNow.AddDays(-1),
    [string[]]$Phase = @('COMPLETED', 'ERROR', 'ABORTED'),
    [switch]$Force,
    $Session
)
$ErrorActionPreference = 'Stop'
$sessionArgument = if ($Session) { @{ Session = $Session } } else { @{} }
$folder = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)

$jobs = @(Get-UwsJob @sessionArgument -After $Since -Phase $Phase)
$i = 0
foreach ($job in $jobs) {
    $i++
    Write-Progress -Activity "Provenance since $($Since.ToString('u'))" -Status "$i of $($jobs.Count): $($job.Id)" -PercentComplete (100 * $i / [math]::Max(1, $jobs.Count))
    if (-not $PSCmdlet.ShouldProcess("job $($job.Id)", "Write its provenance as PROV-JSON and PROV-N into $folder")) { continue }
    foreach ($format in @{ 'PROV-JSON' = '.json'; 'PROV-N' = '.provn' }.GetEnumerator()) {
        # A file kept from an earlier run is not asked for again: that is what makes a repeated run cheap.
        if (-not $Force -and (Test-Path -LiteralPath (Join-Path $folder "$($job.Id)$($format.Value)"))) { continue }
        Get-OpusProvenance @sessionArgument -Id $job.Id -Format $format.Key -Path $folder -Force:$Force
    }
}
Write-Progress -Activity "Provenance since $($Since.ToString('u'))" -Completed
