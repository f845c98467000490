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
}
