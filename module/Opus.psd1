@{
    RootModule           = 'Opus.PowerShell.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '3f0d4c8e-6a53-4e0b-9b1e-5c2f7d9a1b64'
    Author               = 'The Opus developers'
    CompanyName          = 'Opus'
    Copyright            = '(c) The Opus developers. MIT licence.'
    Description          = 'Opus job control for observatories: UWS jobs, ActivityDescription job definitions, provenance and users, over the same Core as the Opus server.'
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('Opus.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-OpusServer'
        'Disconnect-OpusServer'
        'Export-ActivityDescription'
        'Get-ActivityDescription'
        'Get-OpusProvenance'
        'Get-OpusSession'
        'Get-OpusUser'
        'Get-OpusUserToken'
        'Get-UwsJob'
        'Get-UwsJobLog'
        'Get-UwsJobResult'
        'Import-ActivityDescription'
        'New-OpusUser'
        'New-OpusUserToken'
        'New-UwsJob'
        'Remove-ActivityDescription'
        'Remove-OpusUser'
        'Remove-UwsJob'
        'Revoke-OpusUserToken'
        'Set-OpusUser'
        'Set-UwsJob'
        'Start-UwsJob'
        'Stop-UwsJob'
        'Wait-UwsJob'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('UWS', 'IVOA', 'Provenance', 'Astronomy', 'Jobs', 'PSEdition_Core', 'Linux')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
