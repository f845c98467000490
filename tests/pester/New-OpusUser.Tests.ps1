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
    It 'links a user to an OIDC subject with -ExternalId, and refuses a subject another user has' {
        Connect-TestServer $server | Out-Null
        (New-OpusUser dora -Role copy -ExternalId 'sub-dora').ExternalId | Should -Be 'sub-dora'
        (Get-OpusUser dora).ExternalId | Should -Be 'sub-dora'
        New-OpusUser dan -ExternalId 'sub-dora' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'OpusUserExists*'
        Get-OpusUser dan -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
    It 'takes -ExternalId from objects by property name' {
        Connect-TestLocal | Out-Null
        $user = [pscustomobject]@{ UserName = 'gina'; Role = 'copy'; ExternalId = 'sub-gina' } | New-OpusUser
        $user.ExternalId | Should -Be 'sub-gina'
    }
    It 'says which subject it would link under -WhatIf' {
        Get-HostOutput { New-OpusUser hugo -ExternalId 'sub-hugo' -WhatIf } | Should -BeLike "*linked to the OIDC subject 'sub-hugo'*"
        Get-OpusUser hugo -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
