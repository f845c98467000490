using System.Text.RegularExpressions;
using Opus.Core.Jobs;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;
using YamlDotNet.Serialization.NamingConventions;

namespace Opus.Core.Definitions;

/// <summary>Reads and writes job definitions as YAML (camelCase field names, the same as the JSON).</summary>
public static partial class DefinitionYaml
{
    private static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    private static readonly ISerializer Writer = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        // Without these, texts such as "null", "~" or "x\r\ny" do not read back as written.
        .WithQuotingNecessaryStrings()
        .WithEventEmitter(next => new TextStyleEmitter(next))
        .Build();

    /// <summary>Parses and validates; throws <see cref="OpusValidationException"/> listing every problem.</summary>
    public static JobDefinition Read(string yaml, string source) =>
        DefinitionCleanup.Finish(Parse(yaml, source), source);

    public static string Write(JobDefinition definition) => Writer.Serialize(definition);

    /// <summary>Syntax and shape only; null for an empty document.</summary>
    internal static JobDefinition? Parse(string yaml, string source)
    {
        var parser = new BoundedParser(new Parser(new StringReader(yaml)));
        try
        {
            return Reader.Deserialize<JobDefinition?>(parser);
        }
        catch (YamlException e)
        {
            throw new OpusValidationException($"{source}: line {e.Start.Line}, column {e.Start.Column}: {Explain(e, parser)}");
        }
    }

    /// <summary>
    /// The author's view of a failure: our limits and the parser's syntax errors as they are, an unknown
    /// field by name, and a value of the wrong kind by where it is and what was expected; YamlDotNet's
    /// own texts for the last name .NET types and are never shown.
    /// </summary>
    private static string Explain(YamlException e, BoundedParser parser)
    {
        if ((e as LimitException ?? e.InnerException as LimitException) is { } limit)
            return limit.Message;
        var message = e.InnerException?.Message ?? e.Message;
        // A mapping given for a text or number also reads as fields, unknown to string or bool: that is a wrong kind.
        if (UnknownProperty().Match(message) is { Success: true } unknown && unknown.Groups[2].Value.StartsWith(typeof(JobDefinition).Namespace + ".", StringComparison.Ordinal))
            return $"unknown field '{unknown.Groups[1].Value}'";
        if (e is SyntaxErrorException or SemanticErrorException && !DefinitionMessages.NamesDotNet(message))
            return ParserLocation().Replace(message, "");
        if (!parser.Nodes.TryGetValue((e.Start.Line, e.Start.Column), out var node))
            return "a value of the wrong kind";
        var expected = DefinitionMessages.Expected(node.Path, "a mapping of fields");
        return $"{DefinitionMessages.Field(node.Path)}{(expected is null ? "unexpected" : $"expected {expected}, found")} {node.Found}";
    }

    [GeneratedRegex(@"^Property '(.*)' not found on type '([^']*)'\.?$")]
    private static partial Regex UnknownProperty();

    [GeneratedRegex(@"\s*\(at Line: \d+, Col: \d+, Idx: \d+\)\.?\s*$")]
    private static partial Regex ParserLocation();

    private sealed class LimitException(Mark start, Mark end, string message) : YamlException(start, end, message);

    /// <summary>
    /// Passes the parser's events on, refusing aliases (one 1 kB document of nested aliases expands
    /// to gigabytes), nesting deeper than <see cref="DefinitionLimits.MaxDepth"/> and more than
    /// <see cref="DefinitionLimits.MaxNodes"/> nodes; notes each node's path ("parameters[0].min")
    /// by its position, so that a deserialization error can name its field.
    /// </summary>
    private sealed class BoundedParser(IParser inner) : IParser
    {
        // A mapping expects a key or the value of Key; a list counts its items.
        private sealed class Level(bool mapping)
        {
            public bool Mapping { get; } = mapping;
            public bool AtValue { get; set; }
            public string Key { get; set; } = "?";
            public int Index { get; set; }
        }

        private readonly List<Level> _levels = [];

        public Dictionary<(long Line, long Column), (string Path, string Found)> Nodes { get; } = [];

        private int _count;

        private int _documents;

        public ParsingEvent? Current => inner.Current;

        public bool MoveNext()
        {
            if (!inner.MoveNext())
                return false;
            switch (inner.Current)
            {
                case DocumentStart document when ++_documents > 1:
                    throw new LimitException(document.Start, document.End, "a definition is one YAML document; this is a second ('---')");
                case AnchorAlias alias:
                    throw new LimitException(alias.Start, alias.End, $"aliases (*{alias.Value}) are not allowed in a definition; write the value out");
                case NodeEvent node:
                    if (++_count > DefinitionLimits.MaxNodes)
                        throw new LimitException(node.Start, node.End, $"the definition has more than {DefinitionLimits.MaxNodes} values");
                    var isKey = _levels.Count > 0 && _levels[^1] is { Mapping: true, AtValue: false };
                    // A key stands for its mapping: a mapping where a text or number belongs fails at its first key.
                    Nodes.TryAdd((node.Start.Line, node.Start.Column), (Path(), isKey ? node is Scalar ? "a mapping" : "a field name that is not a text" : Found(node)));
                    if (node is MappingStart or SequenceStart)
                    {
                        if (_levels.Count >= DefinitionLimits.MaxDepth)
                            throw new LimitException(node.Start, node.End, $"the definition nests deeper than {DefinitionLimits.MaxDepth} levels");
                        _levels.Add(new Level(node is MappingStart));
                    }
                    else
                    {
                        if (isKey && node is Scalar key)
                            _levels[^1].Key = key.Value;
                        NodeDone();
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    _levels.RemoveAt(_levels.Count - 1);
                    NodeDone();
                    break;
            }

            return true;
        }

        private void NodeDone()
        {
            if (_levels.Count == 0)
                return;
            var level = _levels[^1];
            if (level.Mapping)
                level.AtValue = !level.AtValue;
            else
                level.Index++;
        }

        private string Path()
        {
            var path = new System.Text.StringBuilder();
            foreach (var level in _levels)
            {
                if (!level.Mapping)
                    path.Append('[').Append(level.Index).Append(']');
                else if (level.AtValue)
                    path.Append(path.Length == 0 ? "" : ".").Append(level.Key);
            }

            return path.ToString();
        }

        private static string Found(NodeEvent node)
        {
            var found = node switch
            {
                Scalar scalar => DefinitionMessages.Quote(scalar.Value),
                SequenceStart => "a list",
                _ => "a mapping",
            };
            // A tag ("!!seq", "!foo") may be all that is wrong with a value.
            return node.Tag.IsEmpty ? found : $"{found} tagged '{node.Tag.Value}'";
        }
    }

    /// <summary>
    /// Multi-line texts (scripts) as literal blocks, so they read as written; texts with control
    /// characters other than the line feed (tabs, '\r') double-quoted, the one style that keeps them exactly.
    /// </summary>
    private sealed class TextStyleEmitter(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Value is string text)
            {
                if (text.Any(c => c != '\n' && (char.IsControl(c) || c is '\u2028' or '\u2029')))
                    eventInfo.Style = ScalarStyle.DoubleQuoted;
                // A literal block cannot start with a blank or indented line: YamlDotNet then writes what it cannot read.
                else if (text.Contains('\n') && !char.IsWhiteSpace(text[0]))
                    eventInfo.Style = ScalarStyle.Literal;
            }

            base.Emit(eventInfo, emitter);
        }
    }
}
