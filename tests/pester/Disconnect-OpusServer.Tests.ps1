BeforeAll { . "$PSScriptRoot/Common.ps1" }

Describe 'Disconnect-OpusServer' {
    It 'closes the session so cmdlets ask for one' {
        Connect-TestLocal | Out-Null
        Disconnect-OpusServer
        $env:OPUS_DATA = $null
        { Get-UwsJob -ErrorAction Stop } | Should -Throw -ErrorId 'OpusNotConnected*'
    }
    It 'opens $env:OPUS_DATA when no session is connected' {
        Disconnect-OpusServer
        $env:OPUS_DATA = Join-Path $TestDrive 'data'
        Get-ActivityDescription | Should -BeNullOrEmpty
        Test-Path (Join-Path $env:OPUS_DATA 'opus.db') | Should -BeTrue
        $env:OPUS_DATA = $null
        Disconnect-OpusServer
    }
}
