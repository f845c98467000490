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
        try
        {
            return Reader.Deserialize<JobDefinition?>(yaml);
        }
        catch (YamlException e)
        {
            var inner = UnknownProperty().Replace(e.InnerException?.Message ?? e.Message, "unknown field '$1'");
            throw new OpusValidationException($"{source}: line {e.Start.Line}, column {e.Start.Column}: {inner}");
        }
    }

    [GeneratedRegex(@"^Property '(.*)' not found on type '[^']*'\.?$")]
    private static partial Regex UnknownProperty();

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
