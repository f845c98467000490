using System.Globalization;
using System.Text;
using Opus.Core.Definitions;

namespace Opus.Core.Tests.Definitions;

/// <summary>
/// Random valid definitions in canonical form (what any reader returns): every parameter type with
/// defaults, ranges and options, used entities and results with every field, resources, and texts full of
/// what breaks serializers: XML and YAML syntax, quotes, backslashes, unicode beyond the BMP, tabs, line ends.
/// The same seed gives the same definition.
/// </summary>
internal sealed class DefinitionGenerator(int seed)
{
    private readonly Random _random = new(seed);

    // Pieces of text chosen to trip a writer: markup, YAML indicators and keywords, JSON escapes, non-ASCII.
    private static readonly string[] Fragments =
    [
        "a", "Z", "word", "42", "-7", "3.5e-2", " ", "  ", "<", ">", "&", "&amp;", "]]>", "<![CDATA[", "\"", "'", "`",
        "\\", "\\n", "$ID", "${x}", "$(date)", "é", "Ünïcødé", "中文", "😀", "𝔘", "\u00a0", "\u2028", "\u0085",
        "null", "~", "true", "no", "0x1F", "#", "# not a comment", ": ", "- ", "? ", "{", "}", "[", "]", ",", "*", "&anchor",
        "!tag", "%", "@", "|", "---", "...", "=", "/", "\n", "\n\n", "\t", "\r\n", "\rX",
    ];

    // For file names: no '/', '\\' or NUL, which the validator refuses.
    private static readonly string[] FileFragments = ["a", "Z", "9", "_", "-", ".", " ", "é", "😀", "<", "&", "'", "\"", "#", "[x]", "$ID"];

    private static readonly string[] Types = [.. ParameterTypes.All];

    public JobDefinition Next()
    {
        var definition = new JobDefinition
        {
            Name = Name(),
            Version = "v" + Text(),
            Description = Maybe(Text),
            Type = Maybe(Text),
            Subtype = Maybe(Text),
            Doculink = Maybe(() => "https://example.org/doc?a=1&b=<2>#" + Text()),
            ContactName = Maybe(Text),
            ContactEmail = Maybe(() => "someone+" + Word() + "@example.org"),
            ExecutionDuration = _random.Next(0, 86_400),
            Quote = Chance(0.5) ? _random.Next(0, 3_600) : null,
            Resources = Chance(0.4) ? Resources() : null,
            Script = Script(),
        };
        var parameters = _random.Next(0, 7);
        for (var i = 0; i < parameters; i++)
            definition.Parameters.Add(Parameter(i));
        var used = _random.Next(0, 4);
        for (var i = 0; i < used; i++)
            definition.Used.Add(Used(i));
        var generated = _random.Next(0, 4);
        for (var i = 0; i < generated; i++)
            definition.Generated.Add(Generated(i));
        return definition;
    }

    private ParameterDefinition Parameter(int index)
    {
        var type = Types[_random.Next(Types.Length)];
        var p = new ParameterDefinition
        {
            // The p{i}_ prefix keeps names unique and clear of reserved and control names.
            Name = $"p{index}_{Word()}",
            Type = type,
            Required = Chance(0.5),
            Description = Maybe(Text),
            Unit = Maybe(Text),
            Ucd = Maybe(() => "pos.eq.ra;meta.main"),
            Utype = Maybe(Text),
        };
        switch (type)
        {
            case ParameterTypes.Int:
            case ParameterTypes.Long:
                Range(p, type == ParameterTypes.Int ? 1_000_000 : 9_000_000_000_000, integer: true);
                break;
            case ParameterTypes.Double:
            case ParameterTypes.Float:
                Range(p, 1e6, integer: false);
                break;
            case ParameterTypes.Boolean:
                p.Default = Maybe(() => Pick("true", "false", "1", "0"));
                break;
            case ParameterTypes.DateTime:
                p.Default = Maybe(() => Pick("2024-05-06T07:08:09Z", "2031-12-31T23:59:59.125+02:00", "2000-01-01"));
                break;
            case ParameterTypes.AnyUri:
                p.Default = Maybe(() => Pick("https://example.org/data?id=42&fmt=fits", "ivo://ivoa.net/std/UWS", "file:///tmp/in%20put.txt"));
                break;
            case ParameterTypes.File:
                p.Default = Maybe(FileName);
                break;
            default:
                if (Chance(0.4))
                {
                    p.Options = Enumerable.Range(0, _random.Next(1, 5)).Select(_ => Chance(0.1) ? "" : Text()).ToList();
                    p.Default = Maybe(() => Pick(p.Options.Where(o => o.Length > 0).DefaultIfEmpty("x").ToArray()));
                    if (p.Default == "x" && !p.Options.Contains("x"))
                        p.Options.Add("x");
                }
                else
                {
                    p.Default = Maybe(Text);
                }

                break;
        }

        return p;
    }

    /// <summary>Numeric parameters: maybe a min and a max, maybe options and a default, all within the range.</summary>
    private void Range(ParameterDefinition p, double scale, bool integer)
    {
        var low = Number(-scale, 0, integer);
        var high = Number(0, scale, integer);
        var min = Chance(0.5) ? low : (double?)null;
        var max = Chance(0.5) ? high : (double?)null;
        p.Min = min is null ? null : Format(min.Value, integer);
        p.Max = max is null ? null : Format(max.Value, integer);
        string Value() => Format(Number(min ?? -scale, max ?? scale, integer), integer);
        if (Chance(0.3))
        {
            p.Options = Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Value()).ToList();
            p.Default = Maybe(() => Pick(p.Options.ToArray()));
        }
        else
        {
            p.Default = Maybe(Value);
        }
    }

    private double Number(double low, double high, bool integer)
    {
        var value = low + (_random.NextDouble() * (high - low));
        return integer ? Math.Clamp(Math.Round(value), Math.Ceiling(low), Math.Floor(high)) : Math.Round(value, 3);
    }

    private static string Format(double value, bool integer) =>
        integer ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);

    private UsedDefinition Used(int index) => new()
    {
        Name = $"u{index}_{Word()}",
        Role = Maybe(Text),
        Description = Maybe(Text),
        ContentType = Maybe(() => Pick("application/fits", "text/plain; charset=utf-8", "image/png")),
        Multiplicity = Maybe(() => Pick("1", "0..1", "*", "5")),
        Default = Maybe(Text),
        Url = Maybe(() => Pick("file://$ID", "https://example.org/get?id=$ID&format=<fits>", "ivo://example/$ID")),
        Required = Chance(0.5),
        File = Maybe(FileName),
    };

    private GeneratedDefinition Generated(int index) => new()
    {
        Name = $"g{index}_{Word()}",
        File = Pick("*.fits", "out/*.log", "result.txt", "ré sult<1>&'2'.txt", "[ab]?.dat", FileName()),
        ContentType = Maybe(() => Pick("application/fits", "text/plain", "application/x-votable+xml")),
        Description = Maybe(Text),
        Role = Maybe(Text),
        Multiplicity = Maybe(() => Pick("1", "*")),
    };

    private JobResources Resources()
    {
        var resources = new JobResources
        {
            Manager = Maybe(() => Pick("local", "slurm")),
            Partition = Maybe(Text),
            Cpus = Chance(0.5) ? _random.Next(1, 129) : null,
            Memory = Maybe(() => Pick("2G", "500M", "1T")),
            CpuTime = Chance(0.3) ? _random.Next(1, 86_401) : null,
            Processes = Chance(0.3) ? _random.Next(1, 4_097) : null,
            OutputSize = Maybe(() => Pick("10G", "64M", "2T")),
        };
        // Resources with nothing set read back as none.
        return resources is { Manager: null, Partition: null, Cpus: null, Memory: null } ? new JobResources { Cpus = 1 } : resources;
    }

    /// <summary>A script: never blank and without CRLF, which every reader turns into LF.</summary>
    private string Script()
    {
        var script = new StringBuilder("echo ");
        var lines = _random.Next(1, 6);
        for (var i = 0; i < lines; i++)
            script.Append(Text()).Append(Chance(0.8) ? "\n" : "");
        return script.ToString().Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    /// <summary>One to six fragments; never empty (an empty optional text reads back as absent).</summary>
    private string Text()
    {
        var text = new StringBuilder();
        var count = _random.Next(1, 7);
        for (var i = 0; i < count; i++)
            text.Append(Fragments[_random.Next(Fragments.Length)]);
        return text.ToString();
    }

    private string FileName()
    {
        var name = new StringBuilder();
        var count = _random.Next(1, 6);
        for (var i = 0; i < count; i++)
            name.Append(FileFragments[_random.Next(FileFragments.Length)]);
        var text = name.ToString();
        return text is "." or ".." || string.IsNullOrWhiteSpace(text) ? text + "x" : text;
    }

    private string Name()
    {
        const string first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        const string rest = first + "_.-";
        var length = _random.Next(0, 20);
        return first[_random.Next(first.Length)] + new string(Enumerable.Range(0, length).Select(_ => rest[_random.Next(rest.Length)]).ToArray());
    }

    private string Word()
    {
        const string letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
        return new string(Enumerable.Range(0, _random.Next(0, 9)).Select(_ => letters[_random.Next(letters.Length)]).ToArray());
    }

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private string? Maybe(Func<string> make) => Chance(0.6) ? make() : null;

    private string Pick(params string[] choices) => choices[_random.Next(choices.Length)];
}
