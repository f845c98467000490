using System.Text.RegularExpressions;
using Opus.Core.Jobs;

namespace Opus.Core.Users;

/// <summary>What a user name, a role and an externalId may be: checked wherever a user is created or changed.</summary>
public static partial class UserFields
{
    /// <summary>The longest externalId: an OIDC sub has at most 255 ASCII characters (OIDC Core 2).</summary>
    public const int ExternalIdMaxLength = 255;

    /// <summary>The longest SLURM account name Opus stores (slurmdbd's own limit is larger; real ones are short).</summary>
    public const int SlurmAccountMaxLength = 64;

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}\\z")] // \z, not $: $ would let a trailing newline through
    private static partial Regex SlurmAccountPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$")]
    private static partial Regex UserNamePattern();

    // The form of a user id: a user name of that form would make lookups by id or name ambiguous.
    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^(admin|\\*|[A-Za-z0-9][A-Za-z0-9_.-]{0,63})$")]
    private static partial Regex RolePattern();

    public static void CheckUserName(string userName)
    {
        if (!UserNamePattern().IsMatch(userName ?? ""))
            throw new OpusValidationException($"user name '{userName}': 1-128 letters, digits or . _ @ + -, starting with a letter or digit");
        if (IdPattern().IsMatch(userName ?? ""))
            throw new OpusValidationException($"user name '{userName}': 32 hexadecimal digits is the form of a user id; choose another name");
    }

    /// <summary>A SCIM externalId, or null for none ("" clears).</summary>
    public static string? CheckExternalId(string? externalId)
    {
        if (string.IsNullOrEmpty(externalId))
            return null;
        if (externalId.Length > ExternalIdMaxLength || string.IsNullOrWhiteSpace(externalId) || externalId.Any(char.IsControl))
            throw new OpusValidationException($"externalId: 1 to {ExternalIdMaxLength} characters, no control characters (the user's OIDC sub at the identity provider)");
        return externalId;
    }

    /// <summary>A SLURM account, or null for none ("" clears). It reaches sbatch as one argument, never a shell.</summary>
    public static string? CheckSlurmAccount(string? account)
    {
        if (string.IsNullOrEmpty(account))
            return null;
        if (!SlurmAccountPattern().IsMatch(account))
            throw new OpusValidationException($"slurmAccount: 1 to {SlurmAccountMaxLength} letters, digits or _ - .");
        return account;
    }

    public static List<string> CheckRoles(IEnumerable<string> roles)
    {
        var list = roles.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (list.FirstOrDefault(r => !RolePattern().IsMatch(r)) is { } bad)
            throw new OpusValidationException($"role '{bad}': use admin, * or a job definition name");
        return list;
    }
}
