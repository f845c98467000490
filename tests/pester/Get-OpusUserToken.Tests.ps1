BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null; New-OpusUser fay | New-OpusUserToken -Name ci | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Get-OpusUserToken' {
    It 'lists tokens without their secrets' {
        $tokens = Get-OpusUser fay | Get-OpusUserToken
        $tokens.Name | Should -Be 'ci'
        $tokens.Secret | Should -BeNullOrEmpty
    }
}
