BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'New-UwsJob' {
    It 'creates a pending job locally' {
        Connect-TestLocal | Out-Null
        $job = New-UwsJob copy @{ text = 'hello' } -RunId pester
        $job.Phase | Should -Be 'PENDING'
        $job.RunId | Should -Be 'pester'
    }
    It 'creates one job per hashtable piped in, and starts them' {
        $jobs = @{ seconds = 0 }, @{ seconds = 1 } | New-UwsJob sleep -Start
        $jobs.Count | Should -Be 2
        $jobs.Phase | Should -Not -Contain 'PENDING'
    }
    It 'creates a job on a server' {
        Connect-TestServer $server | Out-Null
        (New-UwsJob copy @{ text = 'remote' }).Owner | Should -Be 'admin'
    }
    It 'reports a bad parameter with InvalidUwsJob' {
        New-UwsJob sleep @{ seconds = 'soon' } -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidUwsJob*'
    }
}
