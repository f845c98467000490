using System.Text;
using System.Text.Json.Nodes;
using Opus.Core.Definitions;
using Opus.Core.Sessions;

namespace Opus.Client;

/// <summary>Definitions (ActivityDescriptions) under /jdl.</summary>
public sealed partial class RemoteOpusSession
{
    public async Task<IReadOnlyList<JobDefinition>> ListDefinitionsAsync(CancellationToken cancellationToken = default)
    {
        var definitions = new List<JobDefinition>();
        foreach (var name in await DefinitionNamesAsync(cancellationToken))
            definitions.Add(await GetDefinitionAsync(name, null, cancellationToken));
        return definitions;
    }

    public async Task<JobDefinition> GetDefinitionAsync(string name, string? version = null, CancellationToken cancellationToken = default)
    {
        var json = await ExportDefinitionAsync(name, DefinitionFormat.Json, version, cancellationToken);
        return Read(() => DefinitionFormats.Read(json, $"{Target}/jdl/{name}"));
    }

    public async Task<DefinitionVersion> ImportDefinitionAsync(string content, string source, bool publish, CancellationToken cancellationToken = default)
    {
        using var body = new StringContent(content, Encoding.UTF8, "text/plain");
        using var response = await SendAsync(HttpMethod.Post, publish ? "jdl?publish=true" : "jdl", body, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        var status = Enum.TryParse<DefinitionStatus>((string?)answer["status"], ignoreCase: true, out var s) ? s : DefinitionStatus.Proposed;
        return new DefinitionVersion((string?)answer["name"] ?? "", (string?)answer["version"] ?? "", status, source);
    }

    public async Task RemoveDefinitionAsync(string name, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"jdl/{Uri.EscapeDataString(name)}", null, cancellationToken);
    }

    public async Task<string> ExportDefinitionAsync(string name, DefinitionFormat format, string? version = null, CancellationToken cancellationToken = default)
    {
        var path = $"jdl/{Uri.EscapeDataString(name)}?format={format.ToString().ToLowerInvariant()}" + (version is null ? "" : $"&version={Uri.EscapeDataString(version)}");
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<string>> DefinitionNamesAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "jdl", null, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        return (answer["definitions"] as JsonArray ?? []).Select(d => (string?)d?["name"]).OfType<string>().ToList();
    }
}
