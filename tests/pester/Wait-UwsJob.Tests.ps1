BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Wait-UwsJob' {
    It 'waits until a job ends' {
        (New-UwsJob copy @{ text = 'a' } -Start | Wait-UwsJob -Timeout 60).Phase | Should -Be 'COMPLETED'
    }
    It 'gives up at -Timeout with a warning and the job as it is' {
        $job = New-UwsJob sleep @{ seconds = 30 } -Start | Wait-UwsJob -Timeout 2 -WarningVariable warned -WarningAction SilentlyContinue
        $job.Phase | Should -BeIn 'QUEUED', 'EXECUTING'
        $warned | Should -Not -BeNullOrEmpty
        $job | Stop-UwsJob
    }
}
