BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Get-OpusSession | Disconnect-OpusServer; Stop-TestServer $server }

Describe 'Get-OpusSession' {
    BeforeEach { Get-OpusSession | Disconnect-OpusServer; $env:OPUS_DATA = $null }

    It 'writes nothing when no session is open, and does not open $env:OPUS_DATA' {
        $env:OPUS_DATA = Join-Path $TestDrive 'unopened'
        Get-OpusSession | Should -BeNullOrEmpty
        Get-OpusSession -Current | Should -BeNullOrEmpty
        Test-Path $env:OPUS_DATA | Should -BeFalse
        $env:OPUS_DATA = $null
    }
    It 'lists a local and a remote session oldest first, the last being current' {
        $local = Connect-TestLocal
        $remote = Connect-TestServer $server
        $sessions = @(Get-OpusSession)
        $sessions.Count | Should -Be 2
        $sessions[0] | Should -Be $local
        $sessions[1] | Should -Be $remote
        $sessions.IsCurrent | Should -Be @($false, $true)
        Get-OpusSession -Current | Should -Be $remote
        (Get-OpusSession | Where-Object IsRemote).Target | Should -Be $server.Uri
    }
    It 'gives the session cmdlets use by default, and the one before when the current is closed' {
        $first = Connect-TestLocal
        $second = Connect-TestLocal
        (New-UwsJob copy @{ text = 'default' }).Session | Should -Be (Get-OpusSession -Current)
        Get-OpusSession -Current | Disconnect-OpusServer
        $second.IsOpen | Should -BeFalse
        Get-OpusSession -Current | Should -Be $first
        @(Get-OpusSession).Count | Should -Be 1
    }
    It 'shows a table of Current, UserName, Remote, Open and Target in 120 columns, every column in 80' {
        $local = Connect-TestLocal
        $remote = Connect-TestServer $server
        $lines = (Get-OpusSession | Out-String -Width 120) -split "`n" | ForEach-Object TrimEnd | Where-Object { $_ }
        ($lines[0] -split ' +' | Where-Object { $_ }) -join ' ' | Should -Be 'Current UserName Remote Open Target'
        $lines | ForEach-Object { $_.Length | Should -BeLessOrEqual 120 }
        $lines[2] | Should -Match "^False +system +False +True +$([regex]::Escape($local.Target))$"
        $lines[3] | Should -Match "^True +admin +True +True +$([regex]::Escape($remote.Target))$"
        # A narrow console still shows every column; only a long Target is cut.
        $narrow = (Get-OpusSession | Out-String -Width 80) -split "`n" | Where-Object { $_.Trim() }
        ($narrow[0] -split ' +' | Where-Object { $_ }) -join ' ' | Should -Be 'Current UserName Remote Open Target'
        $narrow[3] | Should -Match "^True +admin +True +True +$([regex]::Escape($remote.Target))"
    }
}
