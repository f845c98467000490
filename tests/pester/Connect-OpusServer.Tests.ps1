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
}
