BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Remove-UwsJob' {
    It 'says what it would do under -WhatIf and keeps the job' {
        $job = New-UwsJob copy @{ text = 'a' }
        Get-HostOutput { Remove-UwsJob $job.Id -WhatIf } | Should -BeLike "*What if: *Remove*UWS job $($job.Id) (copy)*"
        Get-UwsJob $job.Id | Should -Not -BeNullOrEmpty
    }
    It 'removes jobs from the pipeline' {
        $job = New-UwsJob copy @{ text = 'b' }
        $job | Remove-UwsJob -Confirm:$false
        Get-UwsJob $job.Id -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UwsJobNotFound*'
    }
}
