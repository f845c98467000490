BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null; New-OpusUser carol -Role copy | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Set-OpusUser' {
    It 'changes roles and deactivates' {
        $user = Set-OpusUser carol -Role copy, sleep -Active $false -PassThru
        $user.Roles | Should -Be 'copy', 'sleep'
        $user.Active | Should -BeFalse
    }
    It 'says what it would change under -WhatIf' {
        "$(Set-OpusUser carol -Email carol@obs.example -WhatIf 6>&1)" | Should -BeLike '*set the e-mail address to carol@obs.example*'
    }
}
