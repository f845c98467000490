using System.Management.Automation;
using Opus.Client;
using Opus.Core.Sessions;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// <para type="synopsis">Connects the module to an Opus server (-Uri) or opens a data folder directly (-DataPath).</para>
/// <para type="description">Remote: the server's UWS REST API, /jdl, SCIM and /provsap, authenticated with a user name and API token (-Credential), or anonymously when the server allows it. Local: the database and data folder a server uses, through the same Core services; jobs are run by this session's local manager (runners in their own sessions, so they outlive it) and their phases come from the runners' events files. When no server or other session has the folder open, opening it settles the jobs a previous run left active. Without Connect-OpusServer, cmdlets open $env:OPUS_DATA locally. Returns the session, which any cmdlet takes as -Session; it becomes the default of cmdlets given none, and sessions opened before stay open (Disconnect-OpusServer closes them).</para>
/// </summary>
/// <example>
/// <code>Connect-OpusServer -Uri https://opus.obs.example -Credential (Get-Credential alice)</code>
/// <para>Connects to a server as alice (the password is her API token).</para>
/// </example>
/// <example>
/// <code>Connect-OpusServer -DataPath /srv/opus/data</code>
/// <para>Opens the server's data folder on this machine, as the system administrator.</para>
/// </example>
/// <example>
/// <code>$test = Connect-OpusServer -Uri https://opus-test.obs.example -Credential (Get-Credential alice); $prod = Connect-OpusServer -Uri https://opus.obs.example -Credential (Get-Credential alice)</code>
/// <para>Two sessions open at once; cmdlets take either with -Session ($prod, the last, is the default).</para>
/// </example>
[Cmdlet(VerbsCommunications.Connect, "OpusServer", DefaultParameterSetName = RemoteSet)]
[OutputType(typeof(OpusSession))]
public sealed class ConnectOpusServerCommand : OpusCmdlet
{
    private const string RemoteSet = "Remote";
    private const string LocalSet = "Local";

    /// <summary><para type="description">The server's address, e.g. https://opus.obs.example.</para></summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = RemoteSet)]
    public Uri? Uri { get; set; }

    /// <summary><para type="description">A user name and API token (as the password); anonymous when absent.</para></summary>
    [Parameter(ParameterSetName = RemoteSet)]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary><para type="description">A data folder (the server's Opus:DataPath); created when it does not exist.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public string? DataPath { get; set; }

    /// <summary><para type="description">A folder of definitions to publish when the database lacks them.</para></summary>
    [Parameter(ParameterSetName = LocalSet)]
    public string? DefinitionsPath { get; set; }

    /// <summary><para type="description">Act as this local user (with its roles) instead of the system administrator.</para></summary>
    [Parameter(ParameterSetName = LocalSet)]
    public string? UserName { get; set; }

    /// <summary>Opens the session, makes it the default and writes it out.</summary>
    protected override void EndProcessing()
    {
        IOpusSession session;
        try
        {
            session = ParameterSetName == LocalSet
                ? Run<IOpusSession>(async ct => await LocalOpusSession.OpenAsync(new LocalSessionSettings(GetUnresolvedProviderPathFromPSPath(DataPath!))
                {
                    DefinitionsPath = DefinitionsPath is null ? null : GetUnresolvedProviderPathFromPSPath(DefinitionsPath),
                    UserName = UserName,
                }, ct))
                : Run<IOpusSession>(async ct => await RemoteOpusSession.ConnectAsync(new RemoteSessionSettings(Uri!)
                {
                    UserName = Credential?.UserName,
                    Token = Credential?.GetNetworkCredential().Password,
                }, ct));
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            var error = Decisions.OpusError.From(e, "OpusSession");
            ThrowTerminatingError(new ErrorRecord(e, error.ErrorId, Enum.Parse<ErrorCategory>(error.Category), (object?)Uri ?? DataPath));
            return;
        }

        WriteVerbose($"Connected to {session.Target} as {session.UserName}");
        WriteObject(SessionHolder.Add(session));
    }
}
