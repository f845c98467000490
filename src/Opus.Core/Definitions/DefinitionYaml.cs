using Opus.Core.Jobs;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Opus.Core.Definitions;

/// <summary>Reads and writes job definitions as YAML.</summary>
public static class DefinitionYaml
{
    private static readonly IDeserializer Reader = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    private static readonly ISerializer Writer = new SerializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull | DefaultValuesHandling.OmitEmptyCollections)
        .Build();

    /// <summary>Parses and validates; throws <see cref="OpusValidationException"/> listing every problem.</summary>
    public static JobDefinition Read(string yaml, string source)
    {
        JobDefinition? definition;
        try
        {
            definition = Reader.Deserialize<JobDefinition>(yaml);
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message ?? e.Message;
            throw new OpusValidationException($"{source}: line {e.Start.Line}, column {e.Start.Column}: {inner}");
        }

        if (definition is null)
            throw new OpusValidationException($"{source}: the document is empty");
        var problems = DefinitionValidator.Validate(definition);
        if (problems.Count > 0)
            throw new OpusValidationException($"{source}: {string.Join("; ", problems)}");
        return definition;
    }

    public static string Write(JobDefinition definition) => Writer.Serialize(definition);
}
