using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Opus.Core.Execution;
using Opus.Core.Storage;

namespace Opus.Core;

/// <summary>A configuration value Opus cannot use; the message is one line naming the key.</summary>
public sealed class OpusConfigurationException(string message) : Exception(message);

/// <summary>
/// The rules for Opus's settings, checked when the host starts (ValidateOnStart) and before any service is
/// registered, so a bad value stops start-up with one line naming its key, before anything is created.
/// </summary>
public sealed partial class OpusOptionsValidator : IValidateOptions<OpusOptions>
{
    public ValidateOptionsResult Validate(string? name, OpusOptions options)
    {
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Binds the section (then <paramref name="configure"/>) and checks it; throws <see cref="OpusConfigurationException"/>.</summary>
    public static OpusOptions Read(IConfiguration section, Action<OpusOptions>? configure = null)
    {
        var options = new OpusOptions();
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException e) when (BinderFailure().Match(e.Message) is { Success: true } match)
        {
            throw new OpusConfigurationException($"{match.Groups["key"].Value}: '{match.Groups["value"].Value}' is not {Expected(match.Groups["type"].Value)}");
        }

        configure?.Invoke(options);
        if (Check(options) is [var first, ..])
            throw new OpusConfigurationException(first);
        return options;
    }

    /// <summary>Every rule, each failure one line that starts with the key.</summary>
    public static List<string> Check(OpusOptions o)
    {
        var failures = new List<string>();
        void Require(bool ok, string message)
        {
            if (!ok)
                failures.Add(message);
        }

        Require(!string.IsNullOrWhiteSpace(o.DataPath), "Opus:DataPath: must name a folder");
        Require(o.MaxConcurrentJobs >= 1, $"Opus:MaxConcurrentJobs: {o.MaxConcurrentJobs} is not allowed; give 1 or more");
        Require(o.DefaultExecutionDuration >= 0, $"Opus:DefaultExecutionDuration: {o.DefaultExecutionDuration} is negative; give seconds, 0 for no limit");
        Require(o.MaxExecutionDuration >= 0, $"Opus:MaxExecutionDuration: {o.MaxExecutionDuration} is negative; give seconds, 0 for no bound");
        Require(o.DefaultLifetime > TimeSpan.Zero, $"Opus:DefaultLifetime: {o.DefaultLifetime} must be positive");
        Require(o.MaxLifetime >= o.DefaultLifetime, $"Opus:MaxLifetime: {o.MaxLifetime} is shorter than Opus:DefaultLifetime ({o.DefaultLifetime})");
        Require(o.MaxActiveJobsPerUser >= 0, $"Opus:MaxActiveJobsPerUser: {o.MaxActiveJobsPerUser} is negative; 0 means no limit");
        Require(o.WaitCapSeconds is >= 1 and <= 3600, $"Opus:WaitCapSeconds: {o.WaitCapSeconds} is not between 1 and 3600");
        Require(o.SweepInterval > TimeSpan.Zero, $"Opus:SweepInterval: {o.SweepInterval} must be positive");
        Require(o.KillGraceSeconds is >= 0 and <= 3600, $"Opus:KillGraceSeconds: {o.KillGraceSeconds} is not between 0 and 3600");
        Require(o.Destruction is OpusOptions.DestructionDelete or OpusOptions.DestructionArchive,
            $"Opus:Destruction: '{o.Destruction}' is not a destruction; use delete or archive");
        Require(o.Manager is "local" or SlurmManager.ManagerName, $"Opus:Manager: '{o.Manager}' is not a job manager; use local or slurm");
        Require(o.Storage.IsSqlite || o.Storage.IsPostgres, $"Opus:Storage:Provider: '{o.Storage.Provider}' is not supported; use Sqlite or Postgres");
        Require(o.Storage.WalLimitBytes is >= 1L << 20 and <= 1L << 40, $"Opus:Storage:WalLimitBytes: {o.Storage.WalLimitBytes} is not between 1 MiB (1048576) and 1 TiB");
        Require(!o.Storage.IsPostgres || !string.IsNullOrWhiteSpace(o.Storage.ConnectionString),
            "Opus:Storage:ConnectionString: required when Opus:Storage:Provider is Postgres (e.g. Host=127.0.0.1;Port=5432;Database=opus;Username=opus;Password=...)");
        // Before the callback address, which is made from it when unset.
        Require(string.IsNullOrEmpty(o.PublicUrl) || Uri.TryCreate(o.PublicUrl, UriKind.Absolute, out var publicUrl) && publicUrl.Scheme is "http" or "https" && publicUrl.Query.Length == 0 && publicUrl.Fragment.Length == 0,
            $"Opus:PublicUrl: '{o.PublicUrl}' is not an absolute http or https URL without query (e.g. https://example.org/opus)");
        Require(string.IsNullOrEmpty(o.CallbackUrl) || Uri.TryCreate(o.CallbackUrl, UriKind.Absolute, out var callback) && callback.Scheme is "http" or "https",
            $"Opus:CallbackUrl: '{o.CallbackUrl}' is not an absolute http or https URL");
        Require(string.IsNullOrEmpty(o.PathBase) || o.PathBase.StartsWith('/') && !o.PathBase.Contains('?') && !o.PathBase.Contains('#') && !o.PathBase.Contains("//", StringComparison.Ordinal),
            $"Opus:PathBase: '{o.PathBase}' is not a path such as /opus");
        foreach (var proxy in o.Proxy.KnownProxies)
            Require(System.Net.IPAddress.TryParse(proxy, out _), $"Opus:Proxy:KnownProxies: '{proxy}' is not an IP address");
        foreach (var network in o.Proxy.KnownNetworks)
            Require(System.Net.IPNetwork.TryParse(network, out _), $"Opus:Proxy:KnownNetworks: '{network}' is not a network such as 10.0.0.0/8");
        Require(o.Local.Sandbox is LocalOptions.Bubblewrap or LocalOptions.NoSandbox, $"Opus:Local:Sandbox: '{o.Local.Sandbox}' is not a sandbox; use bubblewrap or none");
        Require(!o.Local.IsSandboxed || JobSandbox.Bubblewrap is not null,
            "Opus:Local:Sandbox: bubblewrap (bwrap) is not installed; install it (apt-get install bubblewrap) or set Opus:Local:Sandbox=none to run jobs unsandboxed");
        Require(o.Local.SandboxUser > 0, $"Opus:Local:SandboxUser: {o.Local.SandboxUser} is not allowed; give an unprivileged uid");
        failures.AddRange(o.Local.Limits.Check());
        Require(o.Slurm.ReconcileInterval > TimeSpan.Zero, $"Opus:Slurm:ReconcileInterval: {o.Slurm.ReconcileInterval} must be positive");
        Require(o.Slurm.CommandTimeout > TimeSpan.Zero, $"Opus:Slurm:CommandTimeout: {o.Slurm.CommandTimeout} must be positive");
        Require(o.Slurm.Cpus is null or >= 1, $"Opus:Slurm:Cpus: {o.Slurm.Cpus} is not allowed; give 1 or more");
        Require(o.Slurm.Staging.ToLowerInvariant() is SlurmOptions.SharedStaging or SlurmOptions.HttpStaging,
            $"Opus:Slurm:Staging: '{o.Slurm.Staging}' is not a staging; use shared or http");
        Require(string.IsNullOrEmpty(o.Slurm.Scratch) || o.Slurm.Scratch.StartsWith('/') && !o.Slurm.Scratch.Any(char.IsControl),
            $"Opus:Slurm:Scratch: '{o.Slurm.Scratch}' is not an absolute folder path");
        CheckSlurmTransport(o, Require);
        Require(o.Inputs.MaxBytes > 0, $"Opus:Inputs:MaxBytes: {o.Inputs.MaxBytes} must be positive");
        Require(o.Inputs.Timeout > TimeSpan.Zero, $"Opus:Inputs:Timeout: {o.Inputs.Timeout} must be positive");
        Require(o.Definitions.MaxDocumentBytes > 0, $"Opus:Definitions:MaxDocumentBytes: {o.Definitions.MaxDocumentBytes} must be positive");
        Require(o.Definitions.MaxPendingProposalsPerUser >= 0, $"Opus:Definitions:MaxPendingProposalsPerUser: {o.Definitions.MaxPendingProposalsPerUser} is negative; 0 means no limit");
        Require(o.Provenance.DotTimeout > TimeSpan.Zero, $"Opus:Provenance:DotTimeout: {o.Provenance.DotTimeout} must be positive");
        Require(o.ResultLinks.MaxSeconds >= 1, $"Opus:ResultLinks:MaxSeconds: {o.ResultLinks.MaxSeconds} must be positive");
        Require(o.ResultLinks.DefaultSeconds >= 1 && o.ResultLinks.DefaultSeconds <= o.ResultLinks.MaxSeconds,
            $"Opus:ResultLinks:DefaultSeconds: {o.ResultLinks.DefaultSeconds} is not between 1 and Opus:ResultLinks:MaxSeconds ({o.ResultLinks.MaxSeconds})");
        Require(!o.Mail.Enabled || MimeKit.MailboxAddress.TryParse(o.Mail.From ?? "", out _),
            $"Opus:Mail:From: '{o.Mail.From}' is not a sender address (e.g. \"Opus <opus@example.org>\"); required with Opus:Mail:Host");
        Require(o.Mail.Port is >= 0 and <= 65535, $"Opus:Mail:Port: {o.Mail.Port} is not a port; 0 for the usual one of Opus:Mail:Security");
        Require(o.Mail.Attempts is >= 1 and <= 100, $"Opus:Mail:Attempts: {o.Mail.Attempts} is not between 1 and 100");
        Require(o.Mail.RetryDelay >= TimeSpan.Zero, $"Opus:Mail:RetryDelay: {o.Mail.RetryDelay} is negative");
        Require(o.Mail.Timeout > TimeSpan.Zero, $"Opus:Mail:Timeout: {o.Mail.Timeout} must be positive");
        return failures;
    }

    /// <summary>Opus:Slurm:Transport and its section, and a callback address the nodes of a remote cluster can reach.</summary>
    private static void CheckSlurmTransport(OpusOptions o, Action<bool, string> require)
    {
        var slurm = o.Slurm;
        require(slurm.Transport is SlurmOptions.LocalTransport or SlurmOptions.SshTransport or SlurmOptions.RestTransport,
            $"Opus:Slurm:Transport: '{slurm.Transport}' is not a transport; use local, ssh or rest");
        if (slurm.Transport == SlurmOptions.SshTransport)
        {
            var ssh = slurm.Ssh;
            require(!string.IsNullOrWhiteSpace(ssh.Host), "Opus:Slurm:Ssh:Host: required when Opus:Slurm:Transport is ssh (the login node)");
            require(ssh.Port is > 0 and < 65536, $"Opus:Slurm:Ssh:Port: {ssh.Port} is not a port");
            require(!string.IsNullOrWhiteSpace(ssh.User), "Opus:Slurm:Ssh:User: required when Opus:Slurm:Transport is ssh");
            require(!string.IsNullOrWhiteSpace(ssh.KeyFile) && File.Exists(ssh.KeyFile),
                $"Opus:Slurm:Ssh:KeyFile: '{ssh.KeyFile}' is not a readable private key file");
            require(ssh.HostKeyFingerprint is { } print && SshFingerprint().IsMatch(print),
                $"Opus:Slurm:Ssh:HostKeyFingerprint: '{ssh.HostKeyFingerprint}' is not a SHA256 fingerprint; give what `ssh-keygen -l -E sha256 -f HOSTKEY.pub` prints (SHA256:...)");
            require(ssh.KeepAliveInterval > TimeSpan.Zero, $"Opus:Slurm:Ssh:KeepAliveInterval: {ssh.KeepAliveInterval} must be positive");
        }

        if (slurm.Transport == SlurmOptions.RestTransport)
        {
            var rest = slurm.Rest;
            require(Uri.TryCreate(rest.Url, UriKind.Absolute, out var url) && url.Scheme is "http" or "https",
                $"Opus:Slurm:Rest:Url: '{rest.Url}' is not an absolute http or https URL of slurmrestd");
            require(!string.IsNullOrWhiteSpace(rest.User), "Opus:Slurm:Rest:User: required when Opus:Slurm:Transport is rest (the SLURM user of the token)");
            require(!string.IsNullOrWhiteSpace(rest.Token) || !string.IsNullOrWhiteSpace(rest.TokenFile) && File.Exists(rest.TokenFile),
                "Opus:Slurm:Rest:Token: required when Opus:Slurm:Transport is rest (or Opus:Slurm:Rest:TokenFile naming a readable file)");
        }

        // Nodes of a cluster elsewhere call back to this server: never on its loopback address.
        if (slurm.IsRemote && (o.Slurm.Enabled ?? o.Manager == SlurmManager.ManagerName))
            require(Uri.TryCreate(o.CallbackUrl, UriKind.Absolute, out var callback) && !IsLoopback(callback.Host),
                $"Opus:PublicUrl: the callback address {(string.IsNullOrEmpty(o.CallbackUrl) ? "(none)" : o.CallbackUrl)} is one that nodes of a remote cluster (Opus:Slurm:Transport={slurm.Transport}) cannot reach; set Opus:PublicUrl to the address they reach this server at");
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address);

    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}=?$")]
    private static partial Regex SshFingerprint();

    private static string Expected(string type) => type switch
    {
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" => "a whole number",
        "System.Double" => "a number",
        "System.Boolean" or "System.Nullable`1[System.Boolean]" => "true or false",
        "System.TimeSpan" => "a time span such as 00:00:30 (hh:mm:ss) or 7.00:00:00 (days)",
        _ => "a valid value",
    };

    // The configuration binder's message: "Failed to convert configuration value 'abc' at 'Opus:MaxConcurrentJobs' to type 'System.Int32'."
    [GeneratedRegex("value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex BinderFailure();
}
