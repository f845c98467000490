BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'Connect-OpusServer' {
    It 'opens a local data folder and publishes the sample definitions' {
        $connection = Connect-TestLocal
        $connection.IsRemote | Should -BeFalse
        (Get-ActivityDescription).Name | Should -Contain 'copy'
    }
    It 'connects to a server with a user name and API token' {
        $connection = Connect-TestServer $server
        $connection.IsRemote | Should -BeTrue
        $connection.UserName | Should -Be 'admin'
    }
    It 'refuses a wrong token with OpusAuthenticationFailed' {
        $bad = [pscredential]::new('admin', (ConvertTo-SecureString 'opus_wrong_token_0000000000000000' -AsPlainText -Force))
        { Connect-OpusServer -Uri $server.Uri -Credential $bad -ErrorAction Stop } | Should -Throw -ErrorId 'OpusAuthenticationFailed*'
    }
    It 'says when a server cannot be reached' {
        { Connect-OpusServer -Uri http://127.0.0.1:9 -ErrorAction Stop } | Should -Throw -ErrorId 'OpusServerUnreachable*'
    }
    It 'returns a session that stays open beside the next one' {
        $first = Connect-TestLocal
        $second = Connect-TestServer $server
        $first.GetType().FullName | Should -Be 'Opus.PowerShell.Sessions.OpusSession'
        $first.IsOpen | Should -BeTrue
        (Get-ActivityDescription -Session $first copy).Name | Should -Be 'copy'
        ($first | Format-Table | Out-String -Width 120) | Should -Match ([regex]::Escape($first.Target))
        Disconnect-OpusServer -Session $first
        $second.IsOpen | Should -BeTrue
    }
    It 'copies definitions from a test server to a production server in one script, as the README shows' {
        $production = Start-TestServer
        try {
            $test = Connect-OpusServer -Uri $server.Uri -Credential $server.Credential
            $prod = Connect-OpusServer -Uri $production.Uri -Credential $production.Credential
            $file = Join-Path $TestDrive 'greet.yaml'
            (Get-Content -Raw "$Root/definitions/copy.yaml") -replace 'name: copy', 'name: greet' | Set-Content $file
            Import-ActivityDescription -Session $test $file | Out-Null
            Get-ActivityDescription -Session $prod greet -ErrorAction SilentlyContinue | Should -BeNullOrEmpty

            # The README's lines.
            Get-ActivityDescription -Session $test |
                Export-ActivityDescription -Session $test -Path (Join-Path $TestDrive 'staging/') |
                Import-ActivityDescription -Session $prod

            (Get-ActivityDescription -Session $prod greet).Name | Should -Be 'greet'
            # The copy runs on production, and its job stays there when piped on.
            $job = New-UwsJob -Session $prod greet @{ text = 'copied' } -Start | Wait-UwsJob -Timeout 120
            $job.Phase | Should -Be 'COMPLETED'
            $job.Session | Should -Be $prod
            Get-UwsJob -Session $test $job.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            # A job piped from the test server acts there although production is the default.
            $tested = New-UwsJob -Session $test greet @{ text = 'tested' } | Start-UwsJob -PassThru | Wait-UwsJob -Timeout 120
            $tested.Phase | Should -Be 'COMPLETED'
            ($tested | Get-UwsJobResult -Name output -Destination (Join-Path $TestDrive out) | Get-Content -Raw) | Should -Be 'tested'
            Get-UwsJob $tested.Id -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        }
        finally {
            if ($prod) { Disconnect-OpusServer -Session $prod }
            if ($test) { Disconnect-OpusServer -Session $test }
            Stop-TestServer $production
        }
    }
}
