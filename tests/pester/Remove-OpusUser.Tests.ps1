BeforeAll { . "$PSScriptRoot/Common.ps1"; Connect-TestLocal | Out-Null; New-OpusUser dave | Out-Null }
AfterAll { Disconnect-OpusServer }

Describe 'Remove-OpusUser' {
    It 'removes users from the pipeline' {
        Get-OpusUser dave | Remove-OpusUser -Confirm:$false
        Get-OpusUser dave -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
    }
}
