using Opus.Core.Jobs;
using Opus.Core.Users;

namespace Opus.Core.Definitions;

/// <summary>
/// What a caller may do with job definitions, shared by /jdl and the *-ActivityDescription cmdlets:
/// anyone signed in may propose a definition or a new version of one they may use; admins publish
/// and withdraw; a definition without a role for it is 403.
/// </summary>
public sealed class DefinitionService(DefinitionCatalog catalog, OpusOptions options, Notifications.MailNotifications mail)
{
    public DefinitionLimits Limits => options.Definitions;

    /// <summary>Reads and validates a document (YAML, JSON or VOTable) within the size limit; stores nothing.</summary>
    public JobDefinition Read(string content, string source)
    {
        Limits.CheckSize(content, source);
        return DefinitionFormats.Read(content, source);
    }

    /// <summary>The current definitions the caller may use.</summary>
    public IReadOnlyList<JobDefinition> List(Caller caller) => catalog.All.Where(d => caller.MayUse(d.Name)).ToList();

    /// <summary>The current definition, or a given version.</summary>
    public async Task<JobDefinition> GetAsync(Caller caller, string name, string? version = null, CancellationToken cancellationToken = default)
    {
        RequireUse(caller, name);
        return version is null ? catalog.Get(name) : await catalog.GetVersionAsync(name, version, cancellationToken);
    }

    public async Task<List<DefinitionRecord>> VersionsAsync(Caller caller, string name, CancellationToken cancellationToken = default)
    {
        RequireUse(caller, name);
        return await catalog.VersionsAsync(name, cancellationToken);
    }

    /// <summary>The name's current version, if any (for history views).</summary>
    public string? CurrentVersion(string name) => catalog.Find(name)?.Version;

    /// <summary>Reads a document (YAML, JSON or VOTable) and proposes it; <paramref name="expectedName"/> guards PUT /jdl/{name}.</summary>
    public Task<DefinitionRecord> ProposeAsync(Caller caller, string content, string source, bool publish, string? expectedName = null, CancellationToken cancellationToken = default)
    {
        var definition = Read(content, source);
        if (expectedName is not null && definition.Name != expectedName)
            throw new OpusValidationException($"the document defines '{definition.Name}', not '{expectedName}'");
        return ProposeAsync(caller, definition, publish, cancellationToken);
    }

    public async Task<DefinitionRecord> ProposeAsync(Caller caller, JobDefinition definition, bool publish, CancellationToken cancellationToken = default)
    {
        if (caller.Anonymous)
            throw new OpusStateException("sign in to propose a job definition");
        if (catalog.Exists(definition.Name) && !caller.MayUse(definition.Name))
            throw new OpusStateException($"you have no role for job definition '{definition.Name}'");
        if (publish)
            caller.RequireAdmin("publish a definition");
        // Admins publish what they propose when they like; a user's proposals wait for them, so they are counted.
        var maxPending = caller.IsAdmin ? 0 : Limits.MaxPendingProposalsPerUser;
        var record = await catalog.ProposeAsync(definition, caller.UserName, publish, maxPending, cancellationToken);
        if (record.Status == DefinitionStatus.Proposed)
            mail.Proposed(record.Name, record.Version, caller.UserName);
        return record;
    }

    /// <summary>Reads a file (YAML, JSON or VOTable by content) and proposes it, published when the caller is an admin and asks for it.</summary>
    public async Task<DefinitionRecord> ImportAsync(Caller caller, string path, bool publish, CancellationToken cancellationToken = default) =>
        await ProposeAsync(caller, DefinitionFiles.Read(path, Limits), publish, cancellationToken);

    public async Task PublishAsync(Caller caller, string name, string version, CancellationToken cancellationToken = default)
    {
        caller.RequireAdmin("publish a definition");
        await catalog.PublishAsync(name, version, caller.UserName, cancellationToken);
    }

    /// <summary>Withdraws every version: no new jobs; existing jobs keep their history.</summary>
    public async Task RemoveAsync(Caller caller, string name, CancellationToken cancellationToken = default)
    {
        caller.RequireAdmin("delete a definition");
        await catalog.WithdrawAsync(name, caller.UserName, cancellationToken);
    }

    /// <summary>Writes a definition in a format; <paramref name="serviceBase"/> is the WADL's resources base, e.g. "https://host/rest/" (the job list adds its name).</summary>
    public static string Export(JobDefinition definition, DefinitionFormat format, string? serviceBase = null) =>
        DefinitionFormats.Write(definition, format, serviceBase);

    private static void RequireUse(Caller caller, string name)
    {
        if (!caller.MayUse(name))
            throw new OpusStateException($"you have no role for job definition '{name}'");
    }
}
