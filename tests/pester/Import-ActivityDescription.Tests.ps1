BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-OpusServer -DataPath (Join-Path $TestDrive data) }
AfterAll { Disconnect-OpusServer }

Describe 'Import-ActivityDescription' {
    It 'publishes the sample definitions given with wildcards' {
        $versions = Import-ActivityDescription -Path "$Root/definitions/*.yaml"
        $versions.Name | Should -Contain 'copy'
        ($versions | Where-Object Name -eq 'sleep').Status | Should -Be 'Published'
        (Get-ActivityDescription sleep).Parameters[0].Type | Should -Be 'xs:int'
    }
    It 'takes files from the pipeline and only proposes with -Propose' {
        $file = Join-Path $TestDrive 'copy3.yaml'
        (Get-Content -Raw "$Root/definitions/copy.yaml") -replace 'name: copy', 'name: copy3' | Set-Content $file
        (Get-Item $file | Import-ActivityDescription -Propose).Status | Should -Be 'Proposed'
    }
    It 'reports an invalid file as a non-terminating error and goes on' {
        $bad = Join-Path $TestDrive 'bad.yaml'
        Set-Content $bad "name: bad`nscript: ''"
        $result = Import-ActivityDescription -LiteralPath $bad, "$Root/definitions/copy.yaml" -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Name | Should -Be 'copy'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidActivityDescription*'
        $problems[0].Exception.Message | Should -BeLike '*script*'
    }
    It 'changes nothing under -WhatIf' {
        $file = Join-Path $TestDrive 'copy4.yaml'
        (Get-Content -Raw "$Root/definitions/copy.yaml") -replace 'name: copy', 'name: copy4' | Set-Content $file
        Import-ActivityDescription $file -WhatIf
        Get-ActivityDescription copy4 -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
