namespace Opus.Core.Definitions;

/// <summary>Maps our parameter types to and from OPUS's names: VOTable datatypes and its xs: variants.</summary>
internal static class OpusDatatypes
{
    // What VOTable PARAMs and OPUS's JSON may say that ParameterTypes.Normalize does not know:
    // OPUS reads VOTable "int" as xs:integer; our narrower integer type holds what int, short and unsignedByte hold.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["integer"] = ParameterTypes.Int,
        ["xs:integer"] = ParameterTypes.Int,
        ["short"] = ParameterTypes.Int,
        ["xs:short"] = ParameterTypes.Int,
        ["unsignedByte"] = ParameterTypes.Int,
        ["xs:unsignedByte"] = ParameterTypes.Int,
        ["char"] = ParameterTypes.String,
        ["unicodeChar"] = ParameterTypes.String,
    };

    // VOTable xtypes that tell char PARAMs apart. "timestamp" is DALI's; "anyURI" is our choice, OPUS
    // stores anyURI as plain char, so an OPUS anyURI parameter reads back as xs:string.
    public const string FileXtype = "application/octet-stream";
    private const string TimestampXtype = "timestamp";
    private const string AnyUriXtype = "anyURI";

    /// <summary>Our type for an OPUS or XML Schema datatype name; null when unknown.</summary>
    public static string? FromName(string? name) =>
        name is not null && Aliases.TryGetValue(name.Trim(), out var type) ? type : ParameterTypes.Normalize(name);

    /// <summary>Our type for a VOTable PARAM's datatype and xtype; null when the datatype is unknown.</summary>
    public static string? FromVoTable(string? datatype, string? xtype)
    {
        if (string.Equals(xtype, FileXtype, StringComparison.OrdinalIgnoreCase))
            return ParameterTypes.File;
        var type = FromName(string.IsNullOrEmpty(datatype) ? "char" : datatype);
        if (type != ParameterTypes.String)
            return type;
        if (string.Equals(xtype, TimestampXtype, StringComparison.OrdinalIgnoreCase) || string.Equals(xtype, "dateTime", StringComparison.OrdinalIgnoreCase))
            return ParameterTypes.DateTime;
        if (string.Equals(xtype, AnyUriXtype, StringComparison.OrdinalIgnoreCase))
            return ParameterTypes.AnyUri;
        return type;
    }

    /// <summary>The VOTable datatype and xtype for one of our types; text types are char with arraysize="*".</summary>
    public static (string Datatype, string? Xtype) ToVoTable(string type) => type switch
    {
        ParameterTypes.Int => ("int", null),
        ParameterTypes.Long => ("long", null),
        ParameterTypes.Double => ("double", null),
        ParameterTypes.Float => ("float", null),
        ParameterTypes.Boolean => ("boolean", null),
        ParameterTypes.DateTime => ("char", TimestampXtype),
        ParameterTypes.AnyUri => ("char", AnyUriXtype),
        ParameterTypes.File => ("char", FileXtype),
        _ => ("char", null),
    };
}
