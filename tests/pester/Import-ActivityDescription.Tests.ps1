# Runs against the module assembled by scripts/build-module.sh (scripts/test.sh does it when pwsh exists).
BeforeAll {
    $root = (Resolve-Path "$PSScriptRoot/../..").Path
    Import-Module "$root/artifacts/module/Opus/Opus.psd1" -Force
}

Describe 'Import-ActivityDescription' {
    It 'reads the sample definitions with their parameters' {
        $definitions = Import-ActivityDescription -Path "$root/definitions/*.yaml"
        $definitions.Name | Should -Contain 'copy'
        ($definitions | Where-Object Name -eq 'sleep').Parameters[0].Type | Should -Be 'xs:int'
    }

    It 'reports an invalid file as a non-terminating error and goes on' {
        $bad = Join-Path $TestDrive 'bad.yaml'
        Set-Content $bad "name: bad`nscript: ''"
        $result = Import-ActivityDescription -LiteralPath $bad, "$root/definitions/copy.yaml" -ErrorVariable problems -ErrorAction SilentlyContinue
        $result.Name | Should -Be 'copy'
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'InvalidActivityDescription*'
        $problems[0].Exception.Message | Should -BeLike '*script*'
    }
}
