BeforeAll { . "$PSScriptRoot/Common.ps1"; $server = Start-TestServer }
AfterAll { Stop-TestServer $server; Disconnect-OpusServer }

Describe 'New-OpusUserToken' {
    It 'issues a token whose secret works once, and only then is shown' {
        Connect-TestServer $server | Out-Null
        $token = New-OpusUser erin -Role copy | New-OpusUserToken -Name laptop
        $token.Secret | Should -BeLike 'opus_*'
        (Get-OpusUserToken erin).Secret | Should -BeNullOrEmpty
        $erin = [pscredential]::new('erin', (ConvertTo-SecureString $token.Secret -AsPlainText -Force))
        (Connect-OpusServer -Uri $server.Uri -Credential $erin).UserName | Should -Be 'erin'
    }
}
