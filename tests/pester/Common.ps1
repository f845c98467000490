# Shared by the Pester files (dot-source it in BeforeAll): imports the module that scripts/build-module.sh
# assembled, and gives each file a local session over a fresh data folder and, on request, a real server.
$script:Root = (Resolve-Path "$PSScriptRoot/../..").Path
$script:AdminToken = 'opus_pester_admin_token_0123456789abcdef'
Import-Module "$Root/artifacts/module/Opus/Opus.psd1" -Force

# What the user sees in the console: a host writes -WhatIf and -Confirm text to its UI, no stream a
# redirection reaches, so a transcript records it.
function Get-HostOutput([scriptblock]$Script) {
    $file = Join-Path ([IO.Path]::GetTempPath()) "opus-pester-host-$([guid]::NewGuid().ToString('N')).txt"
    Start-Transcript -LiteralPath $file -UseMinimalHeader | Out-Null
    try { & $Script | Out-Host } finally { Stop-Transcript | Out-Null }
    try { Get-Content -Raw -LiteralPath $file } finally { Remove-Item -LiteralPath $file }
}

function Connect-TestLocal {
    $data = Join-Path ([IO.Path]::GetTempPath()) "opus-pester-$([guid]::NewGuid().ToString('N'))"
    Connect-OpusServer -DataPath $data -DefinitionsPath "$Root/definitions"
}

function Start-TestServer {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    $data = Join-Path ([IO.Path]::GetTempPath()) "opus-pester-server-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory $data | Out-Null
    $server = Get-ChildItem "$Root/src/Opus.Server/bin/*/net10.0/Opus.Server.dll" -ErrorAction Ignore | Sort-Object LastWriteTime | Select-Object -Last 1
    if (-not $server) { throw "no built server under $Root/src/Opus.Server/bin: run 'dotnet build src/Opus.Server -c Release' first" }
    $process = Start-Process dotnet -PassThru -WorkingDirectory $data -RedirectStandardOutput "$data/server.log" -RedirectStandardError "$data/server.err" -ArgumentList @(
        $server.FullName, "--urls=http://127.0.0.1:$port", "--Opus:DataPath=$data", "--Opus:Auth:AdminToken=$AdminToken", "--Opus:LoadSamples=true")
    $uri = "http://127.0.0.1:$port"
    # Until the server answers, it exits (its log says why) or two minutes pass on a loaded machine.
    $deadline = [DateTime]::UtcNow.AddMinutes(2)
    while ($true) {
        try { if ((Invoke-WebRequest "$uri/health" -SkipHttpErrorCheck -TimeoutSec 10).StatusCode -eq 200) { break } } catch { }
        if ($process.HasExited) { throw "the test server exited ($($process.ExitCode)): $(Get-Content -Raw "$data/server.err")" }
        if ([DateTime]::UtcNow -gt $deadline) { Stop-Process -Id $process.Id -ErrorAction SilentlyContinue; throw "the test server did not answer $uri/health within 2 minutes" }
        Start-Sleep -Milliseconds 100
    }
    [pscustomobject]@{
        Uri        = $uri
        Process    = $process
        DataPath   = $data
        Credential = [pscredential]::new('admin', (ConvertTo-SecureString $AdminToken -AsPlainText -Force))
    }
}

function Stop-TestServer($Server) {
    if ($Server) {
        Stop-Process -Id $Server.Process.Id -ErrorAction SilentlyContinue
        Remove-Item -Recurse -Force $Server.DataPath -ErrorAction SilentlyContinue
    }
}

function Connect-TestServer($Server) {
    Connect-OpusServer -Uri $Server.Uri -Credential $Server.Credential
}
