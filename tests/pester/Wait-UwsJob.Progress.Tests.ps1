# Wait-UwsJob against a real server: the job's own progress (opus_progress) in the progress bar.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $server = Start-TestServer
    Connect-TestServer $server | Out-Null
    $definition = Join-Path $server.DataPath 'progress-wait.yaml'
    Set-Content -LiteralPath $definition -Value @'
name: progress-wait
version: "1"
description: Reports its progress, then waits until the test creates the file its gate parameter names.
executionDuration: 600
parameters:
  - name: gate
    type: xs:string
    required: true
script: |
  opus_progress 40 "reading observations"
  waited=0; until [ -e "$gate" ]; do if [ "$waited" -ge 3000 ]; then exit 75; fi; sleep 0.1; waited=$((waited + 1)); done
'@
    Import-ActivityDescription $definition | Out-Null
}
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'Wait-UwsJob with a job that reports progress' {
    It 'shows the percent and the message of the job in its progress bar' {
        # Not under /tmp: the sandboxed job has a /tmp of its own.
        $gate = "/var/tmp/opus-pester-gate-$([guid]::NewGuid().ToString('N'))"
        $job = New-UwsJob progress-wait @{ gate = $gate } -Start
        # Progress records cannot be redirected: a PowerShell of its own, whose progress stream the test reads.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($root, $uri, $credential, $id)
                    Import-Module "$root/artifacts/module/Opus/Opus.psd1"
                    Connect-OpusServer -Uri $uri -Credential $credential | Out-Null
                    Wait-UwsJob -Definition progress-wait -Id $id -Timeout 300
                }).AddArgument($Root).AddArgument($server.Uri).AddArgument($server.Credential).AddArgument($job.Id)
            $running = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddMinutes(2)
            while (-not ($ps.Streams.Progress | Where-Object { $_.StatusDescription -like '*40 %: reading observations*' })) {
                if ([DateTime]::UtcNow -gt $deadline -or $running.IsCompleted) { throw "no progress record with the job's progress: $(($ps.Streams.Progress | ForEach-Object StatusDescription) -join ' | ') $($ps.Streams.Error)" }
                Start-Sleep -Milliseconds 100
            }
            $shown = $ps.Streams.Progress | Where-Object { $_.StatusDescription -like '*40 %: reading observations*' } | Select-Object -First 1
            $shown.PercentComplete | Should -Be 40
            $shown.StatusDescription | Should -BeLike 'EXECUTING, waited * s*'
            New-Item -ItemType File $gate | Out-Null
            $ended = $ps.EndInvoke($running)
            $ended.Phase | Should -Be 'COMPLETED'
            $ended.Progress.Percent | Should -Be 40
            $ended.Progress.Message | Should -Be 'reading observations'
            $ps.Streams.Progress[-1].RecordType | Should -Be 'Completed'
        }
        finally {
            $ps.Dispose()
            Remove-Item -LiteralPath $gate -ErrorAction Ignore
        }
    }
}
