BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Get-UwsJobLog' {
    It 'gives what a failed job wrote to standard error' {
        $job = New-UwsJob fail -Start | Wait-UwsJob -Timeout 60
        $job.Phase | Should -Be 'ERROR'
        ($job | Get-UwsJobLog -Stream Stderr -Raw) | Should -Not -BeNullOrEmpty
    }
    It 'gives an empty log for a job that wrote nothing' {
        $job = New-UwsJob copy @{ text = 'a' } -Start | Wait-UwsJob -Timeout 60
        $job | Get-UwsJobLog | Should -BeNullOrEmpty
    }
}
