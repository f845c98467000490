BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Remove-ActivityDescription' {
    It 'shows what it would withdraw under -WhatIf' {
        $out = Remove-ActivityDescription fail -WhatIf 6>&1
        "$out" | Should -BeLike '*Withdraw every version*'
        (Get-ActivityDescription).Name | Should -Contain 'fail'
    }
    It 'withdraws a definition' {
        Remove-ActivityDescription fail -Confirm:$false
        (Get-ActivityDescription).Name | Should -Not -Contain 'fail'
    }
}
