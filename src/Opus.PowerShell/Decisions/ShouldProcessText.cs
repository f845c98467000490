using System.Globalization;
using Opus.Core.Jobs;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Decisions;

/// <summary>
/// The target and action each state change shows under -WhatIf and -Confirm
/// ("What if: Performing the operation "ACTION" on target "TARGET".").
/// </summary>
internal static class ShouldProcessText
{
    public static string Job(string? definition, string id) => definition is null ? $"UWS job {id}" : $"UWS job {id} ({definition})";

    public static (string Target, string Action) NewJob(string definition, IReadOnlyList<KeyValuePair<string, string>> parameters, IReadOnlyList<JobFile> files, bool start) =>
        ($"job list '{definition}'", (start ? "Create and start a job" : "Create a job") + With(parameters, files));

    public static (string Target, string Action) StartJob(string? definition, string id) => (Job(definition, id), "Start (PHASE=RUN)");

    public static (string Target, string Action) StopJob(string? definition, string id) => (Job(definition, id), "Abort (PHASE=ABORT), stopping its processes");

    public static (string Target, string Action) RemoveJob(string? definition, string id) =>
        (Job(definition, id), "Remove: abort it if it runs, delete its files and its record");

    public static (string Target, string Action) SetJob(string? definition, string id, JobChanges changes)
    {
        var parts = new List<string>();
        if (changes.Parameters is { Count: > 0 } parameters)
            parts.Add("set parameters " + string.Join(", ", parameters.Select(p => $"{p.Key}={Shorten(p.Value)}")));
        if (changes.ExecutionDuration is { } seconds)
            parts.Add($"set the execution duration to {seconds.ToString(CultureInfo.InvariantCulture)} s");
        if (changes.Destruction is { } destruction)
            parts.Add($"set the destruction time to {UwsTime.Format(destruction)}");
        return (Job(definition, id), parts.Count == 0 ? "Change nothing" : Capitalize(string.Join("; ", parts)));
    }

    public static (string Target, string Action) ImportDefinition(string path, bool publish) =>
        (path, publish ? "Import and publish the job definition" : "Import the job definition as a proposal (an admin publishes it)");

    public static (string Target, string Action) RemoveDefinition(string name) =>
        ($"job definition '{name}'", "Withdraw every version: no new jobs; existing jobs keep their history");

    public static (string Target, string Action) ExportDefinition(string name, string file, string format) =>
        (file, $"Write job definition '{name}' as {format}");

    public static (string Target, string Action) NewUser(UserRequest request) =>
        ($"user '{request.UserName}'", $"Create{(request.Active ? "" : " (inactive)")} with roles {Roles(request.Roles)}"
            + (request.ExternalId is { Length: > 0 } externalId ? $", linked to the OIDC subject '{Shorten(externalId)}'" : "")
            + (request.SlurmAccount is { Length: > 0 } account ? $", SLURM account '{account}'" : ""));

    public static (string Target, string Action) SetUser(string user, UserChanges changes)
    {
        var parts = new List<string>();
        if (changes.Roles is { } roles)
            parts.Add($"set roles to {Roles(roles)}");
        if (changes.Active is { } active)
            parts.Add(active ? "activate" : "deactivate (its tokens stop working)");
        if (changes.Email is { } email)
            parts.Add(email.Length == 0 ? "clear the e-mail address" : $"set the e-mail address to {email}");
        if (changes.DisplayName is { } displayName)
            parts.Add(displayName.Length == 0 ? "clear the display name" : $"set the display name to '{displayName}'");
        if (changes.ExternalId is { } externalId)
            parts.Add(externalId.Length == 0 ? "clear the externalId (unlink the OIDC account)" : $"set the externalId to '{Shorten(externalId)}' (link the OIDC subject at its next sign-in)");
        if (changes.SlurmAccount is { } account)
            parts.Add(account.Length == 0 ? "clear the SLURM account" : $"set the SLURM account to '{account}'");
        if (changes.NotifyOnJobEnd is { } notify)
            parts.Add(notify ? "mail the user when their jobs end" : "stop mailing the user when their jobs end");
        return ($"user '{user}'", parts.Count == 0 ? "Change nothing" : Capitalize(string.Join("; ", parts)));
    }

    public static (string Target, string Action) RemoveUser(string user) =>
        ($"user '{user}'", "Remove the user and its API tokens (jobs keep their owner's name)");

    public static (string Target, string Action) NewToken(string user, string name, DateTime? expires) =>
        ($"user '{user}'", $"Issue API token '{name}'" + (expires is { } e ? $" expiring {UwsTime.Format(e)}" : " without expiry"));

    public static (string Target, string Action) RevokeToken(string user, string token) =>
        ($"user '{user}'", $"Revoke API token '{token}'");

    public static (string Target, string Action) WriteFile(string file, string what) => (file, $"Write {what}");

    private static string With(IReadOnlyList<KeyValuePair<string, string>> parameters, IReadOnlyList<JobFile> files)
    {
        var given = parameters.Select(p => $"{p.Key}={Shorten(p.Value)}").Concat(files.Select(f => $"{f.Name}=<{Path.GetFileName(f.Path)}>")).ToList();
        return given.Count == 0 ? "" : " with " + string.Join(", ", given);
    }

    private static string Roles(IReadOnlyCollection<string> roles) => roles.Count == 0 ? "(none)" : string.Join(", ", roles);

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..37] + "...";

    private static string Capitalize(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
