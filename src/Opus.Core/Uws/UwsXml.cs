using System.Globalization;
using System.Text;
using System.Xml;
using Opus.Core.Jobs;

namespace Opus.Core.Uws;

/// <summary>
/// Writes UWS 1.1 documents exactly as UWS-v1.1.xsd orders them: version="1.1", xsi:nil for
/// empty required values, UTC times with 'Z' (UWS 1.6, 1.8, 1.9, 4.1).
/// </summary>
public static class UwsXml
{
    public const string Namespace = "http://www.ivoa.net/xml/UWS/v1.0";
    public const string XlinkNamespace = "http://www.w3.org/1999/xlink";
    public const string XsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>The namespace UWS 1.1 reserves for implementation attributes on results.</summary>
    public const string CustomNamespace = "urn:uwscustom";

    public const string ContentType = "application/xml; charset=utf-8";

    private static readonly XmlWriterSettings Settings = new()
    {
        Encoding = new UTF8Encoding(false),
        Indent = true,
        Async = true,
        CheckCharacters = true,
    };

    public static XmlWriter Create(Stream stream) => XmlWriter.Create(stream, Settings);

    // The small documents, written synchronously into memory: made once, not per request.
    private static readonly XmlWriterSettings RenderSettings = new() { Encoding = Settings.Encoding, Indent = true };

    /// <summary>Streams a job list; each jobref links to <paramref name="listUrl"/>/id.</summary>
    public static async Task WriteJobListAsync(Stream stream, IAsyncEnumerable<JobSummary> jobs, string listUrl, bool showOwner, CancellationToken cancellationToken = default)
    {
        // The writer fills a memory buffer (its synchronous calls are cheap there and never touch
        // the response), sent asynchronously every 32 KiB or so: no synchronous I/O on the response
        // (Kestrel forbids it) however long the jobrefs are, and memory stays bounded.
        using var buffer = new MemoryStream();
        await using var xml = Create(buffer);
        async Task SendAsync()
        {
            await xml.FlushAsync();
            await stream.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
            buffer.SetLength(0);
        }

        await xml.WriteStartDocumentAsync();
        xml.WriteStartElement("uws", "jobs", Namespace);
        WriteNamespaces(xml);
        xml.WriteAttributeString("version", "1.1");
        var count = 0;
        await foreach (var job in jobs.WithCancellation(cancellationToken))
        {
            xml.WriteStartElement("uws", "jobref", Namespace);
            xml.WriteAttributeString("id", job.Id);
            xml.WriteAttributeString("xlink", "href", XlinkNamespace, $"{listUrl}/{job.Id}");
            xml.WriteElementString("uws", "phase", Namespace, job.Phase.ToString());
            if (job.RunId is not null)
                xml.WriteElementString("uws", "runId", Namespace, XmlSafe(job.RunId));
            if (showOwner)
                WriteNillable(xml, "ownerId", job.Owner);
            xml.WriteElementString("uws", "creationTime", Namespace, UwsTime.Format(job.CreationTime));
            xml.WriteEndElement();
            // Send now and then so a long list streams instead of buffering.
            if (++count % 64 == 0)
            {
                xml.Flush();
                if (buffer.Length >= 32 * 1024)
                    await SendAsync();
            }
        }

        await xml.WriteEndElementAsync();
        await xml.WriteEndDocumentAsync();
        await SendAsync();
    }

    public static void WriteJob(XmlWriter xml, Job job, string jobUrl, bool drawings = true)
    {
        xml.WriteStartDocument();
        xml.WriteStartElement("uws", "job", Namespace);
        WriteNamespaces(xml);
        xml.WriteAttributeString("version", "1.1");
        xml.WriteElementString("uws", "jobId", Namespace, job.Id);
        if (job.RunId is not null)
            xml.WriteElementString("uws", "runId", Namespace, XmlSafe(job.RunId));
        WriteNillable(xml, "ownerId", job.Owner);
        xml.WriteElementString("uws", "phase", Namespace, job.Phase.ToString());
        WriteNillable(xml, "quote", job.Quote);
        xml.WriteElementString("uws", "creationTime", Namespace, UwsTime.Format(job.CreationTime));
        WriteNillable(xml, "startTime", job.StartTime);
        WriteNillable(xml, "endTime", job.EndTime);
        xml.WriteElementString("uws", "executionDuration", Namespace, job.ExecutionDuration.ToString(CultureInfo.InvariantCulture));
        WriteNillable(xml, "destruction", job.Destruction);
        WriteParametersElement(xml, job, jobUrl);
        WriteResultsElement(xml, job, jobUrl, drawings);
        if (job.Phase == JobPhase.ERROR && job.ErrorMessage is not null)
        {
            xml.WriteStartElement("uws", "errorSummary", Namespace);
            xml.WriteAttributeString("type", job.ErrorType ?? "fatal");
            xml.WriteAttributeString("hasDetail", "true");
            xml.WriteElementString("uws", "message", Namespace, XmlSafe(job.ErrorMessage));
            xml.WriteEndElement();
        }

        // Which version of the definition this job runs (later versions never change a job): for reruns and provenance.
        xml.WriteStartElement("uws", "jobInfo", Namespace);
        xml.WriteStartElement("opus", "definition", CustomNamespace);
        xml.WriteAttributeString("name", job.Definition);
        xml.WriteAttributeString("version", job.DefinitionVersion);
        xml.WriteEndElement();
        // How far the job's script says it is (opus_progress): its last report.
        if (job.Progress is { } progress)
        {
            xml.WriteStartElement("opus", "progress", CustomNamespace);
            xml.WriteAttributeString("percent", progress.Percent.ToString(CultureInfo.InvariantCulture));
            xml.WriteString(XmlSafe(progress.Message));
            xml.WriteEndElement();
        }

        xml.WriteEndElement();

        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    public static void WriteResults(XmlWriter xml, Job job, string jobUrl, bool drawings = true)
    {
        xml.WriteStartDocument();
        WriteResultsElement(xml, job, jobUrl, drawings, root: true);
        xml.WriteEndDocument();
    }

    public static void WriteParameters(XmlWriter xml, Job job, string jobUrl)
    {
        xml.WriteStartDocument();
        WriteParametersElement(xml, job, jobUrl, root: true);
        xml.WriteEndDocument();
    }

    /// <summary>Renders one document into a byte array (for the small documents: a job, its results, its parameters).</summary>
    public static byte[] Render(Action<XmlWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, RenderSettings))
            write(xml);
        return buffer.ToArray();
    }

    private static void WriteParametersElement(XmlWriter xml, Job job, string jobUrl, bool root = false)
    {
        xml.WriteStartElement("uws", "parameters", Namespace);
        if (root)
            WriteNamespaces(xml);
        foreach (var parameter in job.Parameters)
        {
            xml.WriteStartElement("uws", "parameter", Namespace);
            xml.WriteAttributeString("id", parameter.Name);
            // A value XML cannot carry (control characters) is given by reference (UWS 5.7).
            if (parameter.ByReference)
            {
                // A file input: its content in the store.
                xml.WriteAttributeString("byReference", "true");
                xml.WriteString(StoreUrl(jobUrl, parameter.Value));
            }
            else if (!IsXmlSafe(parameter.Value))
            {
                xml.WriteAttributeString("byReference", "true");
                xml.WriteString($"{jobUrl}/parameters/{Uri.EscapeDataString(parameter.Name)}");
            }
            else
            {
                xml.WriteString(parameter.Value);
            }

            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }

    // drawings: whether the server can draw provsvg (Graphviz is installed); otherwise it is not offered.
    private static void WriteResultsElement(XmlWriter xml, Job job, string jobUrl, bool drawings, bool root = false)
    {
        xml.WriteStartElement("uws", "results", Namespace);
        if (root)
            WriteNamespaces(xml);
        foreach (var result in job.Results)
        {
            xml.WriteStartElement("uws", "result", Namespace);
            xml.WriteAttributeString("id", result.Id);
            xml.WriteAttributeString("xlink", "href", XlinkNamespace, $"{jobUrl}/results/{Uri.EscapeDataString(result.Id)}");
            xml.WriteAttributeString("size", result.Size.ToString(CultureInfo.InvariantCulture));
            xml.WriteAttributeString("mime-type", result.MimeType);
            xml.WriteAttributeString("opus", "sha256", CustomNamespace, result.Sha256);
            xml.WriteAttributeString("opus", "fileName", CustomNamespace, XmlSafe(result.FileName));
            xml.WriteEndElement();
        }

        // A COMPLETED job also lists its provenance (provenance.md section 5): drawn on request, so no size or digest.
        if (job.Phase == JobPhase.COMPLETED)
        {
            foreach (var (name, format) in Provenance.ProvenanceFormats.JobResults.Where(p => job.Results.All(r => r.Id != p.Name) && (drawings || p.Format != Provenance.ProvenanceFormat.ProvSvg)))
            {
                xml.WriteStartElement("uws", "result", Namespace);
                xml.WriteAttributeString("id", name);
                xml.WriteAttributeString("xlink", "href", XlinkNamespace, $"{jobUrl}/{name}");
                xml.WriteAttributeString("mime-type", Provenance.ProvenanceFormats.MediaTypeOf(format));
                xml.WriteEndElement();
            }
        }

        xml.WriteEndElement();
    }

    /// <summary>The store URL of a digest, on the server that serves <paramref name="jobUrl"/> (.../rest/definition/id).</summary>
    public static string StoreUrl(string jobUrl, string sha256)
    {
        var rest = jobUrl.LastIndexOf("/rest/", StringComparison.Ordinal);
        return $"{(rest < 0 ? "" : jobUrl[..rest])}/store/?ID={sha256}";
    }

    private static void WriteNamespaces(XmlWriter xml)
    {
        xml.WriteAttributeString("xmlns", "xlink", null, XlinkNamespace);
        xml.WriteAttributeString("xmlns", "xsi", null, XsiNamespace);
        xml.WriteAttributeString("xmlns", "opus", null, CustomNamespace);
    }

    private static void WriteNillable(XmlWriter xml, string name, string? value)
    {
        xml.WriteStartElement("uws", name, Namespace);
        if (value is null)
            xml.WriteAttributeString("xsi", "nil", XsiNamespace, "true");
        else
            xml.WriteString(XmlSafe(value));
        xml.WriteEndElement();
    }

    private static void WriteNillable(XmlWriter xml, string name, DateTime? value) =>
        WriteNillable(xml, name, value is { } time ? UwsTime.Format(time) : null);

    private static bool IsXmlSafe(string value)
    {
        foreach (var c in value)
        {
            if (!XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c))
                return false;
        }

        return true;
    }

    private static string XmlSafe(string value) =>
        IsXmlSafe(value) ? value : new string(value.Select(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c) ? c : '\uFFFD').ToArray());
}
