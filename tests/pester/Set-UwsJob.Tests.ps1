BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Set-UwsJob' {
    It 'changes a pending job' {
        $job = New-UwsJob copy @{ text = 'a' }
        $changed = $job | Set-UwsJob -Parameter @{ text = 'b' } -ExecutionDuration 30 -PassThru
        ($changed.Parameters | Where-Object Name -eq text).Value | Should -Be 'b'
        $changed.ExecutionDuration | Should -Be 30
    }
    It 'refuses parameter changes once the job ran, with UwsJobNotAllowed' {
        $job = New-UwsJob copy @{ text = 'a' } -Start | Wait-UwsJob -Timeout 60
        $job | Set-UwsJob -Parameter @{ text = 'b' } -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UwsJobNotAllowed*'
    }
}
