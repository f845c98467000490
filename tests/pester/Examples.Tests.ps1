# The scripts of examples/powershell, run as an admin would run them, against a real server.
BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    $examples = "$Root/examples/powershell"
    $server = Start-TestServer
    $session = Connect-TestServer $server
}
AfterAll { Stop-TestServer $server; Disconnect-OpusServer -Session $session -ErrorAction SilentlyContinue }

Describe 'New-UsersFromCsv.ps1' {
    BeforeAll {
        $csv = "$TestDrive/users.csv"
        @(
            [pscustomobject]@{ userName = 'csv-ana'; displayName = 'Ana Lima'; email = 'ana@obs.example'; roles = 'copy;sleep' }
            [pscustomobject]@{ userName = 'csv-ben'; displayName = 'Ben Okoro'; email = 'ben@obs.example'; roles = 'copy' }
            [pscustomobject]@{ userName = 'csv-cai'; displayName = ''; email = ''; roles = '' }
        ) | Export-Csv -LiteralPath $csv
        $tokens = "$TestDrive/tokens.tsv"
        function Get-State {
            Get-OpusUser -Session $session 'csv-*' | Sort-Object UserName | ForEach-Object {
                [pscustomobject]@{
                    UserName = $_.UserName; DisplayName = $_.DisplayName; Email = $_.Email; Roles = ($_.Roles -join ';')
                    ModifiedAt = $_.ModifiedAt.ToString('o')
                    Tokens = (@(Get-OpusUserToken -Session $session $_.UserName) | ForEach-Object { "$($_.Id)/$($_.Name)" }) -join ','
                }
            } | ConvertTo-Json
        }
    }
    It 'changes nothing under -WhatIf' {
        & "$examples/New-UsersFromCsv.ps1" -Path $csv -TokenPath $tokens -Session $session -WhatIf | Out-Null
        Get-OpusUser -Session $session 'csv-*' | Should -BeNullOrEmpty
        Test-Path $tokens | Should -BeFalse
    }
    It 'creates the users with their roles and one token each, the secrets in a 0600 file and not on the console' {
        $console = Get-HostOutput { & "$examples/New-UsersFromCsv.ps1" -Path $csv -TokenPath $tokens -Session $session }
        $users = Get-OpusUser -Session $session 'csv-*' | Sort-Object UserName
        $users.UserName | Should -Be 'csv-ana', 'csv-ben', 'csv-cai'
        $users[0].Roles | Should -Be 'copy', 'sleep'
        $users[0].Email | Should -Be 'ana@obs.example'
        $users[1].DisplayName | Should -Be 'Ben Okoro'
        @($users[2].Roles).Count | Should -Be 0
        foreach ($user in $users) { @(Get-OpusUserToken -Session $session $user.UserName).Name | Should -Be 'csv-import' }

        (Get-Item $tokens).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        $lines = Get-Content $tokens
        $lines.Count | Should -Be 3
        foreach ($line in $lines) {
            $name, $tokenName, $secret = $line -split "`t"
            $tokenName | Should -Be 'csv-import'
            $secret | Should -Not -BeNullOrEmpty
            $console | Should -Not -BeLike "*$secret*"
            # The secret is a working credential of that user.
            $me = Invoke-RestMethod "$($server.Uri)/me" -Headers @{ Authorization = "Bearer $secret" } -SkipHttpErrorCheck -StatusCodeVariable status
            $status | Should -Be 200
            $me.userName | Should -Be $name
        }
        $console | Should -BeLike '*csv-ana*Created*Issued*'
    }
    It 'changes nothing on a second run: same users, no second token, the token file as it was' {
        $before = Get-State
        $file = Get-FileHash $tokens
        $summary = & "$examples/New-UsersFromCsv.ps1" -Path $csv -TokenPath $tokens -Session $session
        $summary.User | Should -Be 'Unchanged', 'Unchanged', 'Unchanged'
        $summary.Token | Should -Be 'Exists', 'Exists', 'Exists'
        Get-State | Should -Be $before
        (Get-FileHash $tokens).Hash | Should -Be $file.Hash
    }
    It 'brings a user that drifted back to the file' {
        Set-OpusUser -Session $session csv-ben -Role sleep -Email 'other@obs.example'
        $summary = & "$examples/New-UsersFromCsv.ps1" -Path $csv -TokenPath $tokens -Session $session
        ($summary | Where-Object UserName -eq 'csv-ben').User | Should -Be 'Updated'
        $ben = Get-OpusUser -Session $session csv-ben
        $ben.Roles | Should -Be 'copy'
        $ben.Email | Should -Be 'ben@obs.example'
        @(Get-OpusUserToken -Session $session csv-ben).Count | Should -Be 1
    }
}

Describe 'Invoke-ParameterSweep.ps1' {
    It 'runs 200 copy jobs and collects each result into a folder named by its value, made safe' {
        $values = 1..200 | ForEach-Object { "text $_/200" }
        $out = "$TestDrive/sweep"
        $summary = & "$examples/Invoke-ParameterSweep.ps1" -Session $session -Definition copy -ParameterName text -Value $values `
            -Destination $out -TimeoutSeconds 3600
        @($summary).Count | Should -Be 200
        @($summary | Where-Object Phase -ne 'COMPLETED').Count | Should -Be 0
        (Get-ChildItem -LiteralPath $out -Directory).Count | Should -Be 200
        Get-ChildItem -LiteralPath $out -Force | Where-Object Name -like '.staging-*' | Should -BeNullOrEmpty
        foreach ($i in 1..200) {
            $file = Join-Path $out "text ${i}_200/output.txt"
            [IO.File]::ReadAllBytes($file) | Should -Be ([Text.Encoding]::UTF8.GetBytes("text $i/200"))
        }
    }
    It 'makes unsafe and clashing values distinct folder names' {
        $out = "$TestDrive/clash"
        $summary = & "$examples/Invoke-ParameterSweep.ps1" -Session $session -Definition copy -ParameterName text -Value 'a/b', 'a\b', '..' -Destination $out
        Split-Path -Leaf $summary.Folder | Should -Be 'a_b', 'a_b-2', '_..'
        Get-Content -Raw -LiteralPath "$out/a_b-2/output.txt" | Should -Be 'a\b'
    }
    It 'submits nothing under -WhatIf' {
        $before = @(Get-UwsJob -Session $session -Definition copy).Count
        & "$examples/Invoke-ParameterSweep.ps1" -Session $session -Definition copy -ParameterName text -Value x -Destination "$TestDrive/none" -WhatIf
        @(Get-UwsJob -Session $session -Definition copy).Count | Should -Be $before
        Test-Path "$TestDrive/none" | Should -BeFalse
    }
}

Describe 'Export-RecentProvenance.ps1' {
    It 'writes a PROV-JSON and a PROV-N file for every finished job of the last day' {
        $failed = New-UwsJob -Session $session fail -Start | Wait-UwsJob -Timeout 600
        $completed = New-UwsJob -Session $session copy @{ text = 'provenance' } -Start | Wait-UwsJob -Timeout 600
        $finished = @(Get-UwsJob -Session $session -Phase COMPLETED, ERROR, ABORTED)
        $finished.Id | Should -Contain $failed.Id
        $finished.Id | Should -Contain $completed.Id
        $out = "$TestDrive/prov"
        & "$examples/Export-RecentProvenance.ps1" -Session $session -Path $out | Out-Null
        foreach ($job in $finished) {
            $json = Get-Content -Raw -LiteralPath "$out/$($job.Id).json" | ConvertFrom-Json -AsHashtable
            $json.Keys | Should -Contain 'prefix'
            Get-Content -Raw -LiteralPath "$out/$($job.Id).provn" | Should -BeLike 'document*'
        }
        (Get-ChildItem $out -File).Count | Should -Be (2 * $finished.Count)
    }
    It 'leaves out jobs older than -Since and keeps files of an earlier run' {
        $out = "$TestDrive/prov-since"
        & "$examples/Export-RecentProvenance.ps1" -Session $session -Path $out -Since ([DateTime]::UtcNow.AddDays(1)) | Out-Null
        @(Get-ChildItem $out -File -ErrorAction Ignore).Count | Should -Be 0
        $before = Get-ChildItem "$TestDrive/prov" -File | ForEach-Object { "$($_.Name) $($_.LastWriteTimeUtc.Ticks)" }
        $written = & "$examples/Export-RecentProvenance.ps1" -Session $session -Path "$TestDrive/prov" -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        $written | Should -BeNullOrEmpty
        Get-ChildItem "$TestDrive/prov" -File | ForEach-Object { "$($_.Name) $($_.LastWriteTimeUtc.Ticks)" } | Should -Be $before
    }
}

Describe 'the example scripts' {
    It '<Name> documents itself and every parameter for Get-Help' -ForEach @(
        @{ Name = 'New-UsersFromCsv.ps1' }, @{ Name = 'Invoke-ParameterSweep.ps1' }, @{ Name = 'Export-RecentProvenance.ps1' }
    ) {
        $help = Get-Help "$Root/examples/powershell/$Name" -Full
        $help.Synopsis | Should -Not -BeLike "$Name*"
        $help.examples.example | Should -Not -BeNullOrEmpty
        foreach ($parameter in $help.parameters.parameter | Where-Object name -notin WhatIf, Confirm) { "$($parameter.name): $($parameter.description.Text)" | Should -Not -BeLike '*: ' }
        $help.parameters.parameter.name | Should -Contain 'Session'
        (Get-Command "$Root/examples/powershell/$Name").Parameters.Keys | Should -Contain 'WhatIf'
    }
}
