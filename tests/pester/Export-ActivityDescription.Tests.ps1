BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Export-ActivityDescription' {
    It 'writes a definition as text in the format asked' {
        Export-ActivityDescription copy -Format Json | ConvertFrom-Json | Select-Object -ExpandProperty name | Should -Be 'copy'
    }
    It 'writes every definition piped in to a folder' {
        $files = Get-ActivityDescription | Export-ActivityDescription -Format VoTable -Path "$TestDrive/"
        ($files.Name | Sort-Object) | Should -Contain 'copy_vot.xml'
    }
    It 'keeps an existing file unless -Force' {
        Export-ActivityDescription sleep -Path "$TestDrive/sleep.yaml" | Out-Null
        Export-ActivityDescription sleep -Path "$TestDrive/sleep.yaml" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'ActivityDescriptionFileExists*'
        (Export-ActivityDescription sleep -Path "$TestDrive/sleep.yaml" -Force).Name | Should -Be 'sleep.yaml'
    }
}
