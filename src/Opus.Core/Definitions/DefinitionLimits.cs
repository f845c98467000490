using System.Text;
using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>
/// Configuration section Opus:Definitions: how large a definition document may be and how many
/// proposals a user may leave waiting for an admin. The parsers' own bounds are constants here too.
/// </summary>
public sealed class DefinitionLimits
{
    public const string Section = "Opus:Definitions";

    /// <summary>How deeply a document's mappings, lists or elements may nest; a real definition needs 7.</summary>
    public const int MaxDepth = 32;

    /// <summary>How many nodes (YAML nodes, JSON values, XML elements and attributes) a document may hold.</summary>
    public const int MaxNodes = 50_000;

    /// <summary>Largest definition document accepted (UTF-8 bytes), whatever its format or route.</summary>
    public long MaxDocumentBytes { get; set; } = 1 << 20;

    /// <summary>Proposed, unpublished versions one user may have at once; 0 = no limit. Admins are not limited.</summary>
    public int MaxPendingProposalsPerUser { get; set; } = 20;

    /// <summary>Throws <see cref="OpusTooLargeException"/> when <paramref name="content"/> is over <see cref="MaxDocumentBytes"/>.</summary>
    public void CheckSize(string content, string source)
    {
        // Each char is at most 3 UTF-8 bytes: most documents are decided without counting.
        if ((long)content.Length * 3 > MaxDocumentBytes && Encoding.UTF8.GetByteCount(content) > MaxDocumentBytes)
            throw TooLarge(source);
    }

    public OpusTooLargeException TooLarge(string source) =>
        new($"{source}: over the limit of {MaxDocumentBytes} bytes for a definition ({Section}:{nameof(MaxDocumentBytes)})");
}
