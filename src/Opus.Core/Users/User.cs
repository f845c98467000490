namespace Opus.Core.Users;

/// <summary>A person or service that uses Opus. Roles: "admin", or a job definition name, or "*" or "all" (every definition).</summary>
public sealed class User
{
    /// <summary>Stable identifier (the SCIM id).</summary>
    public required string Id { get; init; }

    /// <summary>The login name, unique, as jobs record their owner.</summary>
    public required string UserName { get; set; }

    public string? DisplayName { get; set; }

    public string? Email { get; set; }

    public bool Active { get; set; } = true;

    public List<string> Roles { get; set; } = [];

    public DateTime CreatedAt { get; init; }

    /// <summary>The last change of the account (SCIM meta.lastModified); signing in is no change.</summary>
    public DateTime ModifiedAt { get; set; }

    public DateTime? LastSeenAt { get; set; }

    /// <summary>Where the user came from: "local", or the OIDC issuer.</summary>
    public string Source { get; set; } = "local";

    /// <summary>
    /// The OIDC issuer whose <see cref="ExternalSubject"/> this user is; null while the account is not
    /// linked (a subject set by an admin without an issuer is linked at that subject's first sign-in).
    /// </summary>
    public string? ExternalIssuer { get; set; }

    /// <summary>The OIDC <c>sub</c> of the person at <see cref="ExternalIssuer"/> (the SCIM externalId).</summary>
    public string? ExternalSubject { get; set; }

    /// <summary>The SLURM account the user's jobs are charged to (sbatch --account), so fair-share follows the person; null for none.</summary>
    public string? SlurmAccount { get; set; }

    /// <summary>
    /// The id of the portal account that created this user on first acting on its behalf (X-Opus-On-Behalf-Of);
    /// only that portal may act as it. Null for a user created otherwise, whom no portal may act as.
    /// </summary>
    public string? CreatedByPortalId { get; set; }

    /// <summary>Mail the user (at <see cref="Email"/>) when one of their jobs ends, unless the job says NOTIFY=false.</summary>
    public bool NotifyOnJobEnd { get; set; }

    /// <summary>
    /// The SCIM externalId: <see cref="ExternalSubject"/> under the name admins use for it (SCIM, the web
    /// client, the cmdlets' -ExternalId). Not stored on its own.
    /// </summary>
    public string? ExternalId => ExternalSubject;
}
