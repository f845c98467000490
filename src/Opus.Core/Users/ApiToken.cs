namespace Opus.Core.Users;

/// <summary>An API token of a user. Only its SHA-256 is stored; the token itself is shown once, at creation.</summary>
public sealed class ApiToken
{
    public required string Id { get; init; }

    public required string UserId { get; init; }

    public required string Name { get; init; }

    /// <summary>SHA-256 (hex) of the token.</summary>
    public required string Hash { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime? ExpiresAt { get; init; }

    public DateTime? RevokedAt { get; set; }

    public DateTime? LastUsedAt { get; set; }
}
