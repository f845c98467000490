BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'Get-OpusProvenance' {
    It 'writes the provenance of the newest jobs as PROV-N files' {
        Connect-TestLocal | Out-Null
        New-UwsJob copy @{ text = 'a' } -Start | Wait-UwsJob -Timeout 60 | Out-Null
        $files = Get-UwsJob -Last 5 -Phase COMPLETED | Get-OpusProvenance -Format PROV-N -Path "$TestDrive/prov"
        $files[0].Extension | Should -Be '.provn'
        Get-Content -Raw $files[0].FullName | Should -BeLike 'document*'
    }
    It 'gives PROV-JSON documents from a server' {
        Connect-TestServer $server | Out-Null
        $job = New-UwsJob copy @{ text = 'b' } -Start | Wait-UwsJob -Timeout 60
        ($job | Get-OpusProvenance -Depth 1 -Direction BACK).Content | Should -BeLike "*$($job.Id)*"
    }
}
