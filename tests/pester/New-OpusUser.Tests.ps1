BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'New-OpusUser' {
    It 'creates a user locally' {
        Connect-TestLocal | Out-Null
        (New-OpusUser alice -Role copy, sleep -Email alice@obs.example).Roles | Should -Be 'copy', 'sleep'
    }
    It 'creates a user on a server through SCIM' {
        Connect-TestServer $server | Out-Null
        (New-OpusUser bob -Role copy).UserName | Should -Be 'bob'
    }
    It 'reports a name that exists with OpusUserExists' {
        New-OpusUser bob -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'OpusUserExists*'
    }
}
