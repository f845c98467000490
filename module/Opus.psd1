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
    CmdletsToExport      = @(
        'Import-ActivityDescription'
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
