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

Describe 'Set-OpusUser -SlurmAccount' {
    It 'sets the SLURM account, keeps it through other changes, and clears it with an empty -SlurmAccount' {
        (Set-OpusUser carol -SlurmAccount 'astro-lab' -PassThru).SlurmAccount | Should -Be 'astro-lab'
        (Set-OpusUser carol -Role copy -PassThru).SlurmAccount | Should -Be 'astro-lab'
        (Get-OpusUser carol | Format-List | Out-String) | Should -Match 'SlurmAccount\s*:\s*astro-lab'
        (Set-OpusUser carol -SlurmAccount '' -PassThru).SlurmAccount | Should -BeNullOrEmpty
    }
    It 'refuses an account with anything but letters, digits, _ - . with InvalidOpusUser' {
        Set-OpusUser carol -SlurmAccount 'kept'
        Set-OpusUser carol -SlurmAccount '$(touch /tmp/pwned)' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidOpusUser*'
        $problems[0].Exception.Message | Should -BeLike '*letters, digits or _ - .*'
        (Get-OpusUser carol).SlurmAccount | Should -Be 'kept'
    }
    It 'says what it would do to the SLURM account under -WhatIf' {
        Get-HostOutput { Set-OpusUser carol -SlurmAccount 'other' -WhatIf } | Should -BeLike "*What if: *set the SLURM account to 'other'*"
        Get-HostOutput { Set-OpusUser carol -SlurmAccount '' -WhatIf } | Should -BeLike '*What if: *clear the SLURM account*'
        (Get-OpusUser carol).SlurmAccount | Should -Be 'kept'
    }
}

Describe 'Set-OpusUser -SlurmAccount on a server (SCIM)' {
    BeforeAll { $server = Start-TestServer; Connect-TestServer $server | Out-Null }
    AfterAll { Stop-TestServer $server }
    It 'creates, sets, shows, clears and refuses the SLURM account through SCIM' {
        (New-OpusUser erin -Role copy -SlurmAccount 'lab_1').SlurmAccount | Should -Be 'lab_1'
        (Get-OpusUser erin).SlurmAccount | Should -Be 'lab_1'
        (Set-OpusUser erin -SlurmAccount 'lab.2' -PassThru).SlurmAccount | Should -Be 'lab.2'
        (Get-OpusUser erin).SlurmAccount | Should -Be 'lab.2'
        Set-OpusUser erin -SlurmAccount 'a b' -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidOpusUser*'
        (Get-OpusUser erin).SlurmAccount | Should -Be 'lab.2'
        (Set-OpusUser erin -SlurmAccount '' -PassThru).SlurmAccount | Should -BeNullOrEmpty
        (Get-OpusUser erin).SlurmAccount | Should -BeNullOrEmpty
    }
}

Describe 'Set-OpusUser -NotifyOnJobEnd' {
    # Its own local session: the Describe before it left the current session on a server it has since stopped.
    BeforeAll { Connect-TestLocal | Out-Null; New-OpusUser carol -Role copy | Out-Null }
    It 'sets the preference, keeps it through other changes, and clears it with $false' {
        (Set-OpusUser carol -NotifyOnJobEnd $true -PassThru).NotifyOnJobEnd | Should -BeTrue
        (Set-OpusUser carol -Role copy -PassThru).NotifyOnJobEnd | Should -BeTrue
        Get-HostOutput { Set-OpusUser carol -NotifyOnJobEnd $false -WhatIf } | Should -BeLike '*What if: *stop mailing the user when their jobs end*'
        (Get-OpusUser carol).NotifyOnJobEnd | Should -BeTrue
        (Set-OpusUser carol -NotifyOnJobEnd $false -PassThru).NotifyOnJobEnd | Should -BeFalse
    }
    It 'sets it over SCIM on a server as on a local session' {
        $server = Start-TestServer
        try {
            Connect-TestServer $server | Out-Null
            New-OpusUser erin -Role copy | Out-Null
            (Set-OpusUser erin -NotifyOnJobEnd $true -PassThru).NotifyOnJobEnd | Should -BeTrue
            (Get-OpusUser erin).NotifyOnJobEnd | Should -BeTrue
        }
        finally { Stop-TestServer $server }
    }
}
