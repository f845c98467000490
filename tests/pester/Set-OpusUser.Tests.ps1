BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null; New-OpusUser carol -Role copy | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Set-OpusUser' {
    It 'changes roles and deactivates' {
        $user = Set-OpusUser carol -Role copy, sleep -Active $false -PassThru
        $user.Roles | Should -Be 'copy', 'sleep'
        $user.Active | Should -BeFalse
    }
    It 'says what it would change under -WhatIf' {
        Get-HostOutput { Set-OpusUser carol -Email carol@obs.example -WhatIf } | Should -BeLike '*What if: *set the e-mail address to carol@obs.example*'
        (Get-OpusUser carol).Email | Should -BeNullOrEmpty
    }
    It 'sets the externalId, keeps it through other changes, and clears it with an empty -ExternalId' {
        (Set-OpusUser carol -ExternalId 'sub-carol' -PassThru).ExternalId | Should -Be 'sub-carol'
        (Set-OpusUser carol -Role copy -PassThru).ExternalId | Should -Be 'sub-carol'
        (Set-OpusUser carol -ExternalId '' -PassThru).ExternalId | Should -BeNullOrEmpty
    }
    It 'refuses an externalId another user has with OpusUserExists' {
        New-OpusUser dave -ExternalId 'sub-dave' | Out-Null
        Set-OpusUser carol -ExternalId 'sub-dave' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'OpusUserExists*'
        (Get-OpusUser carol).ExternalId | Should -BeNullOrEmpty
    }
    It 'says what it would do to the externalId under -WhatIf' {
        Set-OpusUser carol -ExternalId 'sub-carol'
        Get-HostOutput { Set-OpusUser carol -ExternalId '' -WhatIf } | Should -BeLike '*What if: *clear the externalId*'
        (Get-OpusUser carol).ExternalId | Should -Be 'sub-carol'
    }
}
