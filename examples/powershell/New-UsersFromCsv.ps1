#!/usr/bin/env pwsh

<#
.SYNOPSIS
Creates Opus users, and one API token each, from a CSV file; a second run changes nothing.

.DESCRIPTION
Reads a CSV file with the columns userName, displayName, email and roles (roles separated by ';').
A user that does not exist is created; one that exists but differs (roles, e-mail, display name) is
updated (an empty e-mail or display name in the file leaves the user's as it is); one that matches
is left alone. Each user gets one token named -TokenName unless a token of
that name (not revoked) exists already. Token secrets are appended to -TokenPath (created with mode
0600, readable by its owner only) as "userName<TAB>tokenName<TAB>secret" lines, never written to the
console. Writes one summary object per user: UserName, User (Created, Updated, Unchanged) and Token
(Issued, Exists).

.PARAMETER Path
The CSV file.

.PARAMETER TokenPath
The file the new token secrets are appended to (created with mode 0600).

.PARAMETER TokenName
The name of the token each user gets (default: csv-import).

.PARAMETER Session
The Opus session (Connect-OpusServer's answer); the last connected when absent.

.EXAMPLE
Connect-OpusServer -Uri https://opus.example -Credential admin | Out-Null
./New-UsersFromCsv.ps1 -Path users.csv -TokenPath ~/opus-tokens.tsv -WhatIf

Shows what would be created, then run it without -WhatIf.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)] [string]$Path,
    [Parameter(Mandatory)] [string]$TokenPath,
    [ValidateLength(1, 64)] [string]$TokenName = 'csv-import',
    $Session
)
$ErrorActionPreference = 'Stop'
$sessionArgument = if ($Session) { @{ Session = $Session } } else { @{} }
$tokenFile = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($TokenPath)

# Appends one line to the token file, which is created readable by its owner only (and made so if it existed).
function Add-TokenLine([string]$Line) {
    $options = [IO.FileStreamOptions]@{ Mode = 'Append'; Access = 'Write'; Share = 'None' }
    if (-not $IsWindows) { $options.UnixCreateMode = [IO.UnixFileMode]'UserRead, UserWrite' }
    $stream = [IO.FileStream]::new($tokenFile, $options)
    try {
        if (-not $IsWindows) { [IO.File]::SetUnixFileMode($stream.SafeFileHandle, [IO.UnixFileMode]'UserRead, UserWrite') }
        $writer = [IO.StreamWriter]::new($stream)
        $writer.Write("$Line`n"); $writer.Flush()
    }
    finally { $stream.Dispose() }
}

function Get-Text([string]$Text) { if ([string]::IsNullOrWhiteSpace($Text)) { $null } else { $Text.Trim() } }

foreach ($row in Import-Csv -LiteralPath $Path) {
    $name = Get-Text $row.userName
    if (-not $name) { Write-Error "a row without userName: $($row | ConvertTo-Json -Compress)" -ErrorAction Continue; continue }
    [string[]]$roles = @(foreach ($role in "$($row.roles)" -split ';') { if ($role.Trim()) { $role.Trim() } })
    $email = Get-Text $row.email
    $display = Get-Text $row.displayName

    $user = Get-OpusUser @sessionArgument -UserName $name -ErrorAction SilentlyContinue
    $userAction = 'Unchanged'
    if (-not $user) {
        $created = New-OpusUser @sessionArgument -UserName $name -Role $roles -Email $email -DisplayName $display
        # Under -WhatIf nothing was created, and so no token can be issued for it.
        $userAction = if ($created) { 'Created' } else { 'WouldCreate' }
    }
    else {
        $changes = @{}
        if ((@($user.Roles) | Sort-Object) -join ';' -ne (($roles | Sort-Object) -join ';')) { $changes.Role = $roles }
        if ($email -and $user.Email -ne $email) { $changes.Email = $email }
        if ($display -and $user.DisplayName -ne $display) { $changes.DisplayName = $display }
        if ($changes.Count) {
            Set-OpusUser @sessionArgument -UserName $name @changes
            $userAction = if ($WhatIfPreference) { 'WouldUpdate' } else { 'Updated' }
        }
    }

    $tokenAction = 'Exists'
    if ($userAction -ne 'WouldCreate' -and
        -not (Get-OpusUserToken @sessionArgument -UserName $name | Where-Object { $_.Name -eq $TokenName -and -not $_.RevokedAt })) {
        $tokenAction = 'WouldIssue'
        if ($PSCmdlet.ShouldProcess($tokenFile, "Write the secret of the new token '$TokenName' of '$name'")) {
            $token = New-OpusUserToken @sessionArgument -UserName $name -Name $TokenName
            Add-TokenLine "$name`t$TokenName`t$($token.Secret)"
            $tokenAction = 'Issued'
        }
    }
    elseif ($userAction -eq 'WouldCreate') { $tokenAction = 'WouldIssue' }

    [pscustomobject]@{ UserName = $name; User = $userAction; Token = $tokenAction }
}
