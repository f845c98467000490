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
    It 'closes the session given, and the one before the last becomes the default again' {
        $first = Connect-TestLocal
        $second = Connect-TestLocal
        Disconnect-OpusServer -Session $first
        $first.IsOpen | Should -BeFalse
        { Get-UwsJob -Session $first -ErrorAction Stop } | Should -Throw -ErrorId 'OpusSessionClosed*'
        $job = New-UwsJob copy @{ text = 'second' }
        $job.Session | Should -Be $second
        Disconnect-OpusServer
        $second.IsOpen | Should -BeFalse
        $third = Connect-TestLocal
        $fourth = Connect-TestLocal
        Disconnect-OpusServer
        (New-UwsJob copy @{ text = 'third' }).Session | Should -Be $third
        $fourth.IsOpen | Should -BeFalse
        $third | Disconnect-OpusServer
        $third.IsOpen | Should -BeFalse
    }
}
