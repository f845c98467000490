BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'Get-UwsJobResult' {
    It 'lists and downloads the results of completed jobs from the pipeline' {
        Connect-TestLocal | Out-Null
        $job = New-UwsJob copy @{ text = 'hello' } -Start | Wait-UwsJob -Timeout 60
        ($job | Get-UwsJobResult).Name | Should -Contain 'output'
        $files = Get-UwsJob -Definition copy -Phase COMPLETED | Get-UwsJobResult -Name output -Destination "$TestDrive/out"
        Get-Content -Raw "$TestDrive/out/$($job.Id)/output.txt" | Should -Be 'hello'
        $files.Name | Should -Contain 'output.txt'
    }
    It 'downloads from a server' {
        Connect-TestServer $server | Out-Null
        $job = New-UwsJob copy @{ text = 'remote' } -Start | Wait-UwsJob -Timeout 60
        $job | Get-UwsJobResult -Name output -Destination "$TestDrive/remote" | Out-Null
        Get-Content -Raw "$TestDrive/remote/$($job.Id)/output.txt" | Should -Be 'remote'
    }
    It 'keeps existing files unless -Force' {
        $job = Get-UwsJob -Definition copy -Phase COMPLETED -Last 1
        $job | Get-UwsJobResult -Name output -Destination "$TestDrive/again" | Out-Null
        $job | Get-UwsJobResult -Name output -Destination "$TestDrive/again" -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'UwsJobResultFileExists*'
    }
}
