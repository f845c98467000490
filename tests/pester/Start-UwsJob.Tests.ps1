BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Start-UwsJob' {
    It 'starts pending jobs from the pipeline' {
        New-UwsJob copy @{ text = 'a' } | Out-Null
        $started = Get-UwsJob -Definition copy -Phase PENDING | Start-UwsJob -PassThru
        $started.Phase | Should -Not -Contain 'PENDING'
    }
    It 'does nothing under -WhatIf' {
        $job = New-UwsJob copy @{ text = 'b' }
        Start-UwsJob $job.Id -WhatIf
        (Get-UwsJob $job.Id).Phase | Should -Be 'PENDING'
    }
}
