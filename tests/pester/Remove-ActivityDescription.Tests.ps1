BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Remove-ActivityDescription' {
    It 'shows what it would withdraw under -WhatIf' {
        Get-HostOutput { Remove-ActivityDescription fail -WhatIf } |
            Should -BeLike "*What if: Performing the operation ""Withdraw every version*"" on target ""job definition 'fail'""*"
        (Get-ActivityDescription).Name | Should -Contain 'fail'
    }
    It 'withdraws a definition' {
        Remove-ActivityDescription fail -Confirm:$false
        (Get-ActivityDescription).Name | Should -Not -Contain 'fail'
    }
}
