namespace Opus.Core.Definitions;

/// <summary>The parameter datatypes a definition may declare (XML Schema names, plus file).</summary>
public static class ParameterTypes
{
    public const string String = "xs:string";
    public const string Int = "xs:int";
    public const string Long = "xs:long";
    public const string Double = "xs:double";
    public const string Float = "xs:float";
    public const string Boolean = "xs:boolean";
    public const string DateTime = "xs:dateTime";
    public const string AnyUri = "xs:anyURI";
    public const string File = "file";

    public static readonly IReadOnlyList<string> All = [String, Int, Long, Double, Float, Boolean, DateTime, AnyUri, File];

    /// <summary>Accepts "int", "xs:int" or "XS:INT"; null when unknown.</summary>
    public static string? Normalize(string? type)
    {
        if (string.IsNullOrWhiteSpace(type))
            return null;
        var bare = type.Trim();
        if (bare.StartsWith("xs:", StringComparison.OrdinalIgnoreCase))
            bare = bare[3..];
        return All.FirstOrDefault(t => string.Equals(t.StartsWith("xs:") ? t[3..] : t, bare, StringComparison.OrdinalIgnoreCase));
    }
}
