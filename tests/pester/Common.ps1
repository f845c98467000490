# Shared by the Pester files (dot-source it in BeforeAll): imports the module that scripts/build-module.sh
# assembled, and gives each file a local session over a fresh data folder and, on request, a real server.
$script:Root = (Resolve-Path "$PSScriptRoot/../..").Path
$script:AdminToken = 'opus_pester_admin_token_0123456789abcdef'
Import-Module "$Root/artifacts/module/Opus/Opus.psd1" -Force

function Connect-TestLocal {
    $data = Join-Path ([IO.Path]::GetTempPath()) "opus-pester-$([guid]::NewGuid().ToString('N'))"
    Connect-OpusServer -DataPath $data -DefinitionsPath "$Root/definitions" -PassThru
}

function Start-TestServer {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
    $data = Join-Path ([IO.Path]::GetTempPath()) "opus-pester-server-$([guid]::NewGuid().ToString('N'))"
    New-Item -ItemType Directory $data | Out-Null
    $server = Get-ChildItem "$Root/src/Opus.Server/bin/*/net10.0/Opus.Server.dll" | Sort-Object LastWriteTime | Select-Object -Last 1
    $process = Start-Process dotnet -PassThru -WorkingDirectory $data -RedirectStandardOutput "$data/server.log" -RedirectStandardError "$data/server.err" -ArgumentList @(
        $server.FullName, "--urls=http://127.0.0.1:$port", "--Opus:DataPath=$data", "--Opus:Auth:AdminToken=$AdminToken")
    $uri = "http://127.0.0.1:$port"
    foreach ($attempt in 1..300) {
        try { if ((Invoke-WebRequest "$uri/health" -SkipHttpErrorCheck).StatusCode -eq 200) { break } } catch { }
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
    Connect-OpusServer -Uri $Server.Uri -Credential $Server.Credential -PassThru
}
