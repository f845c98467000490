BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'Get-UwsJob' {
    It 'lists the newest jobs of every job list' {
        Connect-TestLocal | Out-Null
        New-UwsJob copy @{ text = 'a' } | Out-Null
        $newest = New-UwsJob sleep
        (Get-UwsJob -Last 1).Id | Should -Be $newest.Id
    }
    It 'filters by phase and definition' {
        (Get-UwsJob -Definition copy -Phase PENDING).Definition | Should -Be 'copy'
    }
    It 'gets a whole job by id, also on a server' {
        Connect-TestServer $server | Out-Null
        $job = New-UwsJob copy @{ text = 'x' }
        (Get-UwsJob $job.Id).Parameters.Value | Should -Contain 'x'
    }
    It 'reports an unknown phase with InvalidUwsJobPhase' {
        Get-UwsJob -Phase FINISHED -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidUwsJobPhase*'
    }
    It 'completes phases' {
        (TabExpansion2 'Get-UwsJob -Phase EX' 20).CompletionMatches.CompletionText | Should -Contain 'EXECUTING'
    }
}
