BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null; New-OpusUser alice | Out-Null; New-OpusUser anna | Out-Null; New-OpusUser bob | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Get-OpusUser' {
    It 'finds users with wildcards' {
        (Get-OpusUser a*).UserName | Should -Be 'alice', 'anna'
    }
    It 'reports an unknown user with OpusUserNotFound' {
        Get-OpusUser nobody -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'OpusUserNotFound*'
    }
    It 'finds a user by -ExternalId, compared exactly' {
        Set-OpusUser anna -ExternalId 'sub-anna'
        (Get-OpusUser -ExternalId 'sub-anna').UserName | Should -Be 'anna'
        Get-OpusUser -ExternalId 'SUB-ANNA' -ErrorVariable problems -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'OpusUserNotFound*'
    }
    It 'shows the externalId in the user table' {
        $table = Get-OpusUser anna | Format-Table | Out-String -Width 120
        $table | Should -Match 'ExternalId'
        $table | Should -Match 'sub-anna'
    }
}
