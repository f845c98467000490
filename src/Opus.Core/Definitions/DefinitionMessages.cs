using System.Reflection;
using System.Text.RegularExpressions;

namespace Opus.Core.Definitions;

/// <summary>
/// Plain messages for values of the wrong kind, told by where they are in the definition
/// ("parameters[0].options: expected a list"), so no parser's .NET type names reach an author.
/// </summary>
internal static partial class DefinitionMessages
{
    /// <summary>What the field at <paramref name="path"/> ("parameters[0].min", "$.resources.cpus") holds; null when no field is there.</summary>
    public static string? Expected(string path, string mapping)
    {
        Type? type = typeof(JobDefinition);
        foreach (Match segment in PathSegment().Matches(path))
        {
            if (segment.Groups["index"].Success)
                type = ListItem(type);
            else
                type = type.GetProperty(segment.Groups["name"].Value, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
            if (type is null)
                return null;
        }

        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
            return "a text";
        if (type == typeof(int) || type == typeof(long))
            return "an integer";
        if (type == typeof(bool))
            return "true or false";
        return ListItem(type) is null ? mapping : "a list";
    }

    /// <summary>"path: " without JSON's "$." root, or "" at the root.</summary>
    public static string Field(string? path)
    {
        var plain = path?.TrimStart('$').TrimStart('.') ?? "";
        return plain.Length == 0 ? "" : $"{plain}: ";
    }

    /// <summary>A value quoted for a message, shortened so a huge one does not fill the answer.</summary>
    public static string Quote(string value) => value.Length <= 40 ? $"'{value}'" : $"'{value[..40]}...'";

    /// <summary>True when a parser's message names a .NET type, assembly or version, which is never shown.</summary>
    public static bool NamesDotNet(string message) => DotNetName().IsMatch(message);

    private static Type? ListItem(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    [GeneratedRegex(@"(?<name>[A-Za-z_][A-Za-z0-9_]*)|\[(?<index>\d+)\]")]
    private static partial Regex PathSegment();

    [GeneratedRegex(@"\b(System|Opus|YamlDotNet|Microsoft)\.[A-Za-z]|Version=|PublicKeyToken|Culture=|`\d")]
    private static partial Regex DotNetName();
}
