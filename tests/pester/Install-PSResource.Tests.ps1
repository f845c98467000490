# The package scripts/build-module.sh writes, installed as the README shows: a folder repository registered
# with PSResourceGet, Install-PSResource, Import-Module by name. It runs in a child pwsh whose home (user
# module path, PSResourceGet's repository list) is a temporary folder, so the user's own are never touched.
BeforeAll { $script:Root = (Resolve-Path "$PSScriptRoot/../..").Path }

Describe 'The module package' {
    It 'installs from a folder repository with PSResourceGet and works from the installed copy' {
        $temporaryHome = "$TestDrive/home"
        # They must exist: .NET gives no LocalApplicationData for a missing folder, and PSResourceGet would then
        # keep its repository list relative to the working directory.
        New-Item -ItemType Directory "$temporaryHome/.local/share", "$temporaryHome/.config" | Out-Null
        $saved = @{ HOME = $env:HOME; XDG_DATA_HOME = $env:XDG_DATA_HOME; XDG_CONFIG_HOME = $env:XDG_CONFIG_HOME }
        try {
            $env:HOME = $temporaryHome; $env:XDG_DATA_HOME = "$temporaryHome/.local/share"; $env:XDG_CONFIG_HOME = "$temporaryHome/.config"
            $installed = & (Get-Command pwsh).Source -NoProfile -NonInteractive -Command {
                param($repository, $definitions, $data)
                $ErrorActionPreference = 'Stop'
                if (-not [Environment]::GetFolderPath('LocalApplicationData').StartsWith($env:HOME)) { throw "no temporary home for PSResourceGet" }
                Register-PSResourceRepository -Name OpusLocal -Uri $repository -Trusted
                Install-PSResource -Name Opus -Repository OpusLocal -Scope CurrentUser
                Import-Module Opus
                Connect-OpusServer -DataPath $data -DefinitionsPath $definitions | Out-Null
                $job = New-UwsJob copy @{ text = 'installed' } -Start | Wait-UwsJob -Timeout 60
                [pscustomobject]@{
                    ModuleBase = (Get-Module Opus).ModuleBase
                    Version    = (Get-InstalledPSResource Opus -Scope CurrentUser).Version.ToString()
                    Phase      = "$($job.Phase)"
                    Repository = (Get-PSResourceRepository OpusLocal).Uri.LocalPath
                }
            } -args "$Root/artifacts/module/repository", "$Root/definitions", "$TestDrive/data" 2>&1
        }
        finally {
            foreach ($name in $saved.Keys) { Set-Item "env:$name" $saved[$name] }
        }
        # The child's errors come back as records among its output: none, or they say what went wrong.
        $installed | Where-Object { $_ -is [Management.Automation.ErrorRecord] } | ForEach-Object { "$_" } | Should -BeNullOrEmpty
        $installed = $installed | Where-Object { $_ -isnot [Management.Automation.ErrorRecord] }
        $installed.ModuleBase | Should -BeLike "$temporaryHome/.local/share/powershell/Modules/Opus/*"
        $installed.Version | Should -Be (Import-PowerShellDataFile "$Root/module/Opus.psd1").ModuleVersion
        $installed.Phase | Should -Be 'COMPLETED'
        $installed.Repository.TrimEnd('/') | Should -Be "$Root/artifacts/module/repository"
        Get-PSResourceRepository -Name OpusLocal -ErrorAction Ignore | Should -BeNullOrEmpty
    }
}
