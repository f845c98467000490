BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'Get-ActivityDescription' {
    It 'lists the definitions of a local session, with wildcards' {
        Connect-TestLocal | Out-Null
        (Get-ActivityDescription s*).Name | Should -Be 'sleep'
    }
    It 'reads definitions from a server' {
        Connect-TestServer $server | Out-Null
        (Get-ActivityDescription copy).Parameters.Name | Should -Be 'text'
    }
    It 'reports an unknown name with ActivityDescriptionNotFound' {
        Get-ActivityDescription nope -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ActivityDescriptionNotFound*'
    }
    It 'completes definition names' {
        (TabExpansion2 'Get-ActivityDescription co' 26).CompletionMatches.CompletionText | Should -Contain 'copy'
    }
}
