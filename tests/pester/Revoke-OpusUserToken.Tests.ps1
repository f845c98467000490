BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null; New-OpusUser gus | New-OpusUserToken -Name ci | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Revoke-OpusUserToken' {
    It 'revokes tokens from the pipeline' {
        Get-OpusUserToken gus | Revoke-OpusUserToken -Confirm:$false
        (Get-OpusUserToken gus).RevokedAt | Should -Not -BeNullOrEmpty
    }
    It 'reports a token it does not know with OpusUserTokenNotFound' {
        Revoke-OpusUserToken gus -Name nope -Confirm:$false -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'OpusUserTokenNotFound*'
    }
}
