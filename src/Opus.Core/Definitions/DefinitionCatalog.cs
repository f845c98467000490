using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>The job definitions this instance serves, by name.</summary>
public sealed class DefinitionCatalog(ILogger<DefinitionCatalog> logger)
{
    private readonly ConcurrentDictionary<string, JobDefinition> _definitions = new(StringComparer.Ordinal);

    public IReadOnlyCollection<JobDefinition> All => _definitions.Values.OrderBy(d => d.Name, StringComparer.Ordinal).ToList();

    public JobDefinition? Find(string name) => _definitions.GetValueOrDefault(name);

    public JobDefinition Get(string name) =>
        Find(name) ?? throw new OpusNotFoundException($"no job definition named '{name}'");

    public void Add(JobDefinition definition) => _definitions[definition.Name] = definition;

    /// <summary>Loads every *.yaml and *.yml file of a folder; a bad file is logged and skipped.</summary>
    public int LoadFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            logger.LogWarning("Definitions folder {Folder} does not exist", folder);
            return 0;
        }

        var count = 0;
        foreach (var path in Directory.EnumerateFiles(folder).Where(p => p.EndsWith(".yaml", StringComparison.Ordinal) || p.EndsWith(".yml", StringComparison.Ordinal)).Order())
        {
            try
            {
                Add(DefinitionFiles.Read(path));
                count++;
            }
            catch (OpusValidationException e)
            {
                logger.LogError("Skipped definition {Path}: {Problem}", path, e.Message);
            }
        }

        logger.LogInformation("Loaded {Count} job definitions from {Folder}", count, folder);
        return count;
    }
}
