BeforeAll {
    . "$PSScriptRoot/Common.ps1"
    Connect-TestLocal | Out-Null
    $script:job = New-UwsJob copy @{ text = 'hello' } -Start | Wait-UwsJob -Timeout 60
    New-OpusUser annabelle-longname -Role copy, sleep -Email 'annabelle@observatory.example' -ExternalId 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6' | Out-Null
    $script:token = New-OpusUserToken annabelle-longname laptop -Expires (Get-Date).AddDays(30)

    # The table as a user sees it in a 120-column console: one header line with every label, no line wider.
    function Assert-Table($Objects, [string[]]$Labels, [string[]]$Values) {
        $lines = ($Objects | Out-String -Width 120) -split "`r?`n" | Where-Object { $_.Trim() }
        $lines | Where-Object Length -GT 120 | Should -BeNullOrEmpty
        $header = $lines | Where-Object { $_ -match "^$($Labels[0])\b" } | Select-Object -First 1
        $header -split '\s+' | Should -Be $Labels
        foreach ($value in $Values) { ($lines -join "`n") | Should -Match ([regex]::Escape($value)) }
    }
}
AfterAll { Disconnect-OpusServer }

Describe 'The format views in 120 columns' {
    It 'shows a job, the job list and results' {
        Assert-Table (Get-UwsJob $job.Id) 'Id', 'Definition', 'Phase', 'RunId', 'CreationTime', 'EndTime', 'Results' $job.Id, 'COMPLETED'
        Assert-Table (Get-UwsJob) 'Id', 'Definition', 'Phase', 'RunId', 'Owner', 'CreationTime' $job.Id
        Assert-Table ($job | Get-UwsJobResult) 'JobId', 'Name', 'FileName', 'Size', 'MimeType' 'output.txt', 'text/plain'
    }
    It 'shows definitions and the versions an import published' {
        Assert-Table (Get-ActivityDescription) 'Name', 'Version', 'Type', 'Parameters', 'Description' 'copy', 'sleep'
        Assert-Table (Import-ActivityDescription "$Root/definitions/copy.yaml") 'Name', 'Version', 'Status', 'Source' 'copy.yaml'
    }
    It 'shows a user''s e-mail address and a UUID externalId whole' {
        Assert-Table (Get-OpusUser annabelle-longname) 'UserName', 'Active', 'Roles', 'Email', 'LastSeenAt', 'ExternalId' 'annabelle@observatory.example', 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6'
    }
    It 'shows the whole secret of a token when it is issued' {
        Assert-Table $token 'UserName', 'Name', 'ExpiresAt', 'RevokedAt', 'Secret' $token.Secret
        Assert-Table (Get-OpusUserToken annabelle-longname) 'UserName', 'Name', 'ExpiresAt', 'RevokedAt', 'Secret' 'laptop'
    }
    It 'shows provenance documents' {
        Assert-Table (Get-OpusProvenance $job.Id) 'Id', 'Format', 'MediaType', 'Length' $job.Id, 'application/json'
    }
    It 'shows sessions, the current one marked' {
        Assert-Table (Get-OpusSession) 'Current', 'UserName', 'Remote', 'Open', 'Target' (Get-OpusSession -Current).Target, 'system'
    }
    It 'shows downloaded files as Get-ChildItem does' {
        $files = $job | Get-UwsJobResult -Destination "$TestDrive/out"
        $files.PSPath | Should -Be (Get-Item "$TestDrive/out/$($job.Id)/output.txt").PSPath
        ($files | Out-String -Width 120) | Should -Be (Get-ChildItem "$TestDrive/out/$($job.Id)" | Out-String -Width 120)
    }
}
