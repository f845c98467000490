BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Stop-UwsJob' {
    It 'aborts a running job' {
        $job = New-UwsJob sleep @{ seconds = 60 } -Start
        ($job | Stop-UwsJob -PassThru).Phase | Should -Be 'ABORTED'
    }
    It 'refuses to abort a job that ended, with UwsJobNotAllowed' {
        $job = New-UwsJob sleep @{ seconds = 0 } -Start | Wait-UwsJob -Timeout 60
        $job | Stop-UwsJob -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UwsJobNotAllowed*'
    }
}
