using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Opus.Core.Jobs;

namespace Opus.Core.Uws;

/// <summary>
/// Reads the UWS 1.1 documents a server sends (job lists, jobs, results), as <see cref="UwsXml"/>
/// writes them and as other UWS services do: xsi:nil for empty values, unknown elements ignored.
/// A document that is not UWS is an <see cref="InvalidDataException"/> saying what was found.
/// </summary>
public static class UwsXmlReader
{
    private static readonly XNamespace Uws = UwsXml.Namespace;
    private static readonly XNamespace Xlink = UwsXml.XlinkNamespace;
    private static readonly XNamespace Xsi = UwsXml.XsiNamespace;
    private static readonly XNamespace Custom = UwsXml.CustomNamespace;

    /// <summary>A job list (uws:jobs) of the job list <paramref name="definition"/>.</summary>
    public static IReadOnlyList<UwsJobRef> ReadJobList(Stream stream, string definition)
    {
        var root = Load(stream, "jobs");
        return root.Elements(Uws + "jobref").Select(e => new UwsJobRef(
            definition,
            (string?)e.Attribute("id") ?? throw new InvalidDataException("a jobref has no id"),
            Phase(e),
            Text(e, "runId"),
            Text(e, "ownerId"),
            Instant(e, "creationTime") ?? DateTime.MinValue)).ToList();
    }

    /// <summary>A job document (uws:job) of the job list <paramref name="definition"/>.</summary>
    public static UwsJob ReadJob(Stream stream, string definition)
    {
        var root = Load(stream, "job");
        var id = Text(root, "jobId") ?? throw new InvalidDataException("the job document has no jobId");
        var error = root.Element(Uws + "errorSummary");
        var info = root.Element(Uws + "jobInfo");
        return new UwsJob
        {
            Definition = definition,
            Id = id,
            DefinitionVersion = (string?)info?.Element(Custom + "definition")?.Attribute("version"),
            Progress = info?.Element(Custom + "progress") is { } progress && int.TryParse((string?)progress.Attribute("percent"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var percent)
                ? JobProgress.Of(percent, progress.Value)
                : null,
            RunId = Text(root, "runId"),
            Owner = Text(root, "ownerId"),
            Phase = Phase(root),
            Quote = Instant(root, "quote"),
            CreationTime = Instant(root, "creationTime") ?? DateTime.MinValue,
            StartTime = Instant(root, "startTime"),
            EndTime = Instant(root, "endTime"),
            ExecutionDuration = int.TryParse(Text(root, "executionDuration"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0,
            Destruction = Instant(root, "destruction"),
            ErrorMessage = error is null ? null : Text(error, "message"),
            ErrorType = (string?)error?.Attribute("type"),
            Parameters = root.Element(Uws + "parameters") is { } parameters ? ReadParameters(parameters) : [],
            Results = root.Element(Uws + "results") is { } results ? ReadResults(results, definition, id) : [],
        };
    }

    /// <summary>A results document (uws:results) of job <paramref name="jobId"/>.</summary>
    public static IReadOnlyList<UwsResult> ReadResults(Stream stream, string definition, string jobId) =>
        ReadResults(Load(stream, "results"), definition, jobId);

    private static List<JobParameter> ReadParameters(XElement parameters) =>
        parameters.Elements(Uws + "parameter").Select(p => new JobParameter(
            (string?)p.Attribute("id") ?? "",
            p.Value,
            (bool?)p.Attribute("byReference") ?? false)).ToList();

    private static List<UwsResult> ReadResults(XElement results, string definition, string jobId) =>
        results.Elements(Uws + "result").Select(r => new UwsResult(
            definition,
            jobId,
            (string?)r.Attribute("id") ?? "",
            (string?)r.Attribute(Custom + "fileName"),
            long.TryParse((string?)r.Attribute("size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var size) ? size : null,
            (string?)r.Attribute("mime-type"),
            (string?)r.Attribute(Custom + "sha256"),
            (string?)r.Attribute(Xlink + "href"))).ToList();

    private static XElement Load(Stream stream, string rootName)
    {
        XDocument document;
        try
        {
            using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            document = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"the answer is not XML: {e.Message}");
        }

        var root = document.Root!;
        if (root.Name != Uws + rootName)
            throw new InvalidDataException($"expected a UWS {rootName} document, found <{root.Name.LocalName}> in '{root.Name.NamespaceName}'");
        return root;
    }

    private static JobPhase Phase(XElement parent) =>
        JobPhases.Parse(Text(parent, "phase")) ?? JobPhase.UNKNOWN;

    /// <summary>An element's text; null when it is missing, empty or xsi:nil.</summary>
    private static string? Text(XElement parent, string name)
    {
        var element = parent.Element(Uws + name);
        if (element is null || (bool?)element.Attribute(Xsi + "nil") == true || element.Value.Length == 0)
            return null;
        return element.Value;
    }

    private static DateTime? Instant(XElement parent, string name) => UwsTime.Parse(Text(parent, name));
}
