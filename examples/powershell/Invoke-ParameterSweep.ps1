#!/usr/bin/env pwsh

<#
.SYNOPSIS
Runs one job per value of a parameter, waits for them all with progress, and collects every result
into a folder named by the value.

.DESCRIPTION
Submits and starts one UWS job of -Definition per value in -Value, -ParameterName set to that value
(and the fixed values of -Parameter), waits for every job (Write-Progress shows how many have ended),
then downloads each job's results into DESTINATION/VALUE/, VALUE made a safe file name: characters
that cannot be in a file name (and '/', '\') become '_', a name that is empty, '.' or '..' gets a '_'
prefix, and a name another value already took gets a suffix (-2, -3...). Writes one summary object per
value: Value, Folder, JobId, Phase, Files. Exits with an error record for each job that did not complete.

.PARAMETER Definition
The job definition (e.g. copy).

.PARAMETER ParameterName
The parameter that is swept.

.PARAMETER Value
The values of the parameter, one job each.

.PARAMETER Parameter
Other parameters, the same for every job.

.PARAMETER Destination
The folder the results go into (one sub-folder per value); it must not hold those sub-folders yet.

.PARAMETER TimeoutSeconds
How long to wait for all the jobs (default: 1 hour).

.PARAMETER Session
The Opus session (Connect-OpusServer's answer); the last connected when absent.

.EXAMPLE
./Invoke-ParameterSweep.ps1 -Definition copy -ParameterName text -Value (1..20 | % { "run $_" }) -Destination ./sweep
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string]$Definition,
    [Parameter(Mandatory)] [string]$ParameterName,
    [Parameter(Mandatory)] [string[]]$Value,
    [hashtable]$Parameter = @{},
    [Parameter(Mandatory)] [string]$Destination,
    [ValidateRange(1, [int]::MaxValue)] [int]$TimeoutSeconds = 3600,
    $Session
)
$ErrorActionPreference = 'Stop'
$sessionArgument = if ($Session) { @{ Session = $Session } } else { @{} }
$folder = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Destination)

# The folder name of each value, unique within the sweep.
$invalid = [IO.Path]::GetInvalidFileNameChars() + '/', '\'
$taken = [Collections.Generic.HashSet[string]]::new([StringComparer]::OrdinalIgnoreCase)
$plan = foreach ($v in $Value) {
    $safe = -join ($v.ToCharArray() | ForEach-Object { if ($invalid -contains $_) { '_' } else { $_ } })
    if ($safe -in '', '.', '..') { $safe = "_$safe" }
    if ($safe.Length -gt 200) { $safe = $safe.Substring(0, 200) }
    $name = $safe; $n = 1
    while (-not $taken.Add($name)) { $n++; $name = "$safe-$n" }
    [pscustomobject]@{ Value = $v; Folder = Join-Path $folder $name; Job = $null }
}
foreach ($p in $plan) { if (Test-Path -LiteralPath $p.Folder) { throw "$($p.Folder) exists: choose an empty -Destination" } }
if (-not $PSCmdlet.ShouldProcess("$($plan.Count) jobs of '$Definition', $ParameterName swept", "Submit, start and collect into $folder")) { return }

$total = $plan.Count
$i = 0
foreach ($p in $plan) {
    $i++
    Write-Progress -Id 1 -Activity "Sweep of $Definition over $ParameterName" -Status "submitting $i of $total" -PercentComplete (100 * $i / $total)
    $values = $Parameter.Clone(); $values[$ParameterName] = $p.Value
    $p.Job = New-UwsJob @sessionArgument -Definition $Definition -Parameter $values -Start -Confirm:$false
}

# Every job waited for on the server's event (UWS blocking WAIT), one after the other, under one deadline.
$deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
$ended = 0
foreach ($p in $plan) {
    $left = [math]::Max(1, [int][math]::Ceiling(($deadline - [DateTime]::UtcNow).TotalSeconds))
    $p.Job = $p.Job | Wait-UwsJob -Timeout $left -ProgressAction SilentlyContinue -WarningAction SilentlyContinue
    $ended++
    Write-Progress -Id 1 -Activity "Sweep of $Definition over $ParameterName" -Status "$ended of $total jobs ended (last: $($p.Job.Id) $($p.Job.Phase))" -PercentComplete (100 * $ended / $total)
}

$i = 0
foreach ($p in $plan) {
    $i++
    Write-Progress -Id 1 -Activity "Sweep of $Definition over $ParameterName" -Status "collecting $i of $total" -PercentComplete (100 * $i / $total)
    $files = 0
    if ("$($p.Job.Phase)" -eq 'COMPLETED') {
        # Downloaded into a folder of the job's own (Get-UwsJobResult puts each job in a sub-folder),
        # then moved under the value's name, so a half-downloaded sweep never looks complete.
        $staging = Join-Path $folder ".staging-$($p.Job.Id)"
        $files = @(Get-UwsJobResult @sessionArgument -InputObject $p.Job -Destination $staging -ProgressAction SilentlyContinue).Count
        $jobFolder = @(Get-ChildItem -LiteralPath $staging -Directory)
        if ($jobFolder.Count -eq 1) { Move-Item -LiteralPath $jobFolder[0].FullName -Destination $p.Folder }
        else { New-Item -ItemType Directory -Path $p.Folder | Out-Null }
        Remove-Item -LiteralPath $staging -Recurse -Force
    }
    else {
        Write-Error "job $($p.Job.Id) ($ParameterName = '$($p.Value)') ended $($p.Job.Phase)" -ErrorAction Continue
    }
    [pscustomobject]@{ Value = $p.Value; Folder = $p.Folder; JobId = $p.Job.Id; Phase = "$($p.Job.Phase)"; Files = $files }
}
Write-Progress -Id 1 -Activity "Sweep of $Definition over $ParameterName" -Completed
