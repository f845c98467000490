// Hand-written on purpose: no .NET library writes WADL (issue 20).
using System.Globalization;
using System.Xml.Linq;

namespace Opus.Core.Definitions;

/// <summary>
/// Writes the WADL of one job list, in the shape OPUS generated from its uws_template.wadl: an
/// application whose resource "joblist" (path = the definition's name) holds the UWS methods and
/// sub-resources, with the definition's parameters as query params of the requests that take them.
/// Write only: a WADL loses the script, the used entities' URLs and more.
/// </summary>
/// <remarks>
/// Deviations from OPUS, on purpose: the uws and xlink namespace URIs are the real ones (OPUS's template
/// declares "xmlns:uws=http://..."); options carry the standard mediaType instead of OPUS's content_type;
/// used entities and file parameters are params too (they are form fields of the same POST), typed
/// xs:anyURI (an identifier or URL) or xs:base64Binary (an upload); unit, min and max, which WADL has no
/// attribute for, are titled doc elements. Valid against the W3C WADL schema (schemas/wadl.xsd), unlike
/// OPUS's: form fields are params of the POST's form representations (WADL 2.8.2), not of the request, so a
/// client that follows the WADL sends them in the body, where Opus reads them; the job-id template param
/// belongs to each job resource; what WADL has no attribute for and OPUS wrote unqualified (doculink,
/// contact_name, contact_email on the joblist resource, default on the quote representation and on result
/// options) is in the opus: namespace, which the schema allows on every element.
/// </remarks>
public static class DefinitionWadl
{
    public static readonly XNamespace Namespace = "http://wadl.dev.java.net/2009/02";
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    private const string Xs = "http://www.w3.org/2001/XMLSchema";
    private const string Uws = "http://www.ivoa.net/xml/UWS/v1.0";
    private const string Xlink = "http://www.w3.org/1999/xlink";
    public static readonly XNamespace OpusExtensions = "urn:opus:wadl";

    /// <summary>The UWS base URL when none is given: the job lists are under /rest on the same host.</summary>
    public const string DefaultBase = "/rest/";

    /// <param name="definition">The definition whose job list is described.</param>
    /// <param name="serviceBase">The URL the job list's path is relative to, e.g. "https://host/rest/".</param>
    public static string Write(JobDefinition definition, string? serviceBase = null)
    {
        var jobList = new XElement(W("resource"),
            new XAttribute("id", "joblist"),
            new XAttribute("path", definition.Name),
            definition.Doculink is null ? null : new XAttribute(OpusExtensions + "doculink", definition.Doculink),
            definition.ContactName is null ? null : new XAttribute(OpusExtensions + "contact_name", definition.ContactName),
            definition.ContactEmail is null ? null : new XAttribute(OpusExtensions + "contact_email", definition.ContactEmail),
            Doc("This resource contains the whole list of jobs"),
            Doc(definition.Description ?? "", "description"),
            // The definition's DataLink service descriptor, as titled docs: WADL has no element for it.
            (definition.ServiceDescriptor ?? []).Select(p => Doc(p.Value, p.Key)),
            Method("GET", "List all created jobs. The list may be empty if the UWS is idle", id: "list_jobs",
                response: Ok("text/xml", "uws:jobs")),
            Method("POST", "POSTing a request to the Job List creates a new job", id: "create_job",
                request: FormRequest("create_job_parameters",
                    [
                        new XElement(W("param"), Query("PHASE", "xs:string", false), new XAttribute("fixed", "RUN")),
                        QueryParam("RUNID", "xs:string", false, null, "A client's label for the job"),
                        QueryParam("EXECUTIONDURATION", "xs:int", false, DurationDefault(definition), "Maximum run time in seconds (0: the server's limit)"),
                        QueryParam("DESTRUCTION", "xs:dateTime", false, null, "When the job and its results are deleted"),
                        QueryParam("NOTIFY", "xs:boolean", false, null, "Mail the owner when the job ends (true), or not (false); by default the owner's preference"),
                        .. JobParams(definition),
                    ]),
                responses: [Status(303, "Redirects to the newly created job /{job-id}"), Status(400), Status(500)]),
            JobResource(definition));

        var root = new XElement(W("application"),
            new XAttribute("xmlns", Namespace.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName),
            new XAttribute(XNamespace.Xmlns + "xs", Xs),
            new XAttribute(XNamespace.Xmlns + "uws", Uws),
            new XAttribute(XNamespace.Xmlns + "xlink", Xlink),
            new XAttribute(XNamespace.Xmlns + "opus", OpusExtensions.NamespaceName),
            new XAttribute(Xsi + "schemaLocation", "http://wadl.dev.java.net/2009/02 http://www.w3.org/Submission/wadl/wadl.xsd"),
            Doc("Implements the UWS 1.1 service"),
            new XElement(W("grammars"), new XElement(W("include"), new XAttribute("href", "http://www.ivoa.net/xml/UWS/UWS-v1.1.xsd"))),
            new XElement(W("resources"), new XAttribute("base", serviceBase ?? DefaultBase), jobList));
        return DefinitionXml.Write(new XDocument(root), definition.Name);
    }

    /// <summary>The sub-resources of one job, as in OPUS's template, following the UWS REST binding.</summary>
    private static IEnumerable<XElement> JobResource(JobDefinition definition)
    {
        yield return Resource("job", "{job-id}", "This resource handles a job",
            Method("DELETE", "Delete a job", responses: [Status(303, "Redirects to the job list"), Status(404), Status(500)]),
            Method("GET", "Get a job summary", response: Ok("text/xml", "uws:job")),
            // PHASE goes to .../phase: Opus refuses it here, so it is not declared here.
            Method("POST", "Control a job", request: FormRequest("control_job_parameters",
                [
                    new XElement(W("param"), Query("ACTION", "xs:string", false), Option("DELETE")),
                    QueryParam("RUNID", "xs:string", false, null, "A client's label for the job (while PENDING)"),
                    QueryParam("EXECUTIONDURATION", "xs:int", false, null, "Maximum run time in seconds (while PENDING)"),
                    QueryParam("DESTRUCTION", "xs:dateTime", false, null, "When the job and its results are deleted"),
                    .. JobParams(definition),
                ]),
                responses: [Status(303, "Redirects to the job /{job-id}"), Status(404), Status(500)]));
        yield return Resource("job_phase", "{job-id}/phase", "This resource handles the job's phase",
            Method("GET", "Get the job's phase", response: Ok("text/plain", "xs:string")),
            Method("POST", "Run or abort the job", request: FormRequest(null,
                [new XElement(W("param"), Query("PHASE", "xs:string", true), Option("RUN"), Option("ABORT"))], multipart: false),
                responses: [Status(303, "Redirects to the job /{job-id}"), Status(404), Status(500)]));
        yield return Resource("job_executionduration", "{job-id}/executionduration", "This resource handles the execution duration",
            Method("GET", "Get the job's execution duration in seconds", response: Ok("text/plain", "xs:int")),
            Method("POST", "Set the execution duration", request: FormRequest(null,
                [QueryParam("EXECUTIONDURATION", "xs:int", true, DurationDefault(definition), null)], multipart: false),
                responses: [Status(303, "Redirects to the job /{job-id}"), Status(404), Status(500)]));
        yield return Resource("job_destruction", "{job-id}/destruction", "This resource handles the destruction time of the job",
            Method("GET", "Get the job's destruction time (ISO 8601)", response: Ok("text/plain", "xs:dateTime")),
            Method("POST", "Set the job's destruction time", request: FormRequest(null,
                [QueryParam("DESTRUCTION", "xs:dateTime", true, null, null)], multipart: false),
                responses: [Status(303, "Redirects to the job /{job-id}"), Status(404), Status(500)]));
        yield return Resource("job_error", "{job-id}/error", "This resource handles errors of the job's processing",
            Method("GET", "Get the error summary", response: Ok("text/plain", "xs:string")));
        yield return Resource("job_quote", "{job-id}/quote", "This resource handles the quote",
            Method("GET", "Get the quote",
                response: new XElement(W("response"), new XAttribute("status", 200),
                    new XElement(W("representation"),
                        new XAttribute("id", "quote"), new XAttribute("mediaType", "text/plain"), new XAttribute("element", "xs:dateTime"),
                        definition.Quote is { } quote ? new XAttribute(OpusExtensions + "default", quote.ToString(CultureInfo.InvariantCulture)) : null))));
        yield return Resource("job_results", "{job-id}/results", "This resource handles the job's results",
            Method("GET", "Get the list of results", response: Ok("text/xml", "uws:results")));
        yield return Resource("job_result_name", "{job-id}/results/{result-id}", "This resource handles one result",
            [new XElement(W("param"), Template("result-id").Attributes(), definition.Generated.Select(g => new XElement(W("option"),
                new XAttribute("value", g.Name),
                g.ContentType is null ? null : new XAttribute("mediaType", g.ContentType),
                new XAttribute(OpusExtensions + "default", g.File),
                g.Description is null ? null : Doc(g.Description))))],
            Method("GET", "Get a result", response: new XElement(W("response"), new XAttribute("status", 200))));
        yield return Resource("job_parameters", "{job-id}/parameters", "This resource handles the job's parameters",
            Method("GET", "Get the job's parameters", response: Ok("text/xml", "uws:parameters")),
            Method("POST", "Set parameters of a pending job", request: FormRequest("set_job_parameters",
                [QueryParam("RUNID", "xs:string", false, null, "A client's label for the job"), .. JobParams(definition)]),
                responses: [Status(303, "Redirects to the job /{job-id}"), Status(404), Status(500)]));
        yield return Resource("job_parameter_name", "{job-id}/parameters/{parameter-name}", "This resource handles one parameter's value",
            [new XElement(W("param"), Template("parameter-name").Attributes(),
                definition.Parameters.Select(p => (p.Name, p.Description)).Concat(definition.Used.Select(u => (u.Name, u.Description)))
                    .Select(p => new XElement(W("option"), new XAttribute("value", p.Name), new XAttribute("mediaType", "text/plain"),
                        p.Description is null ? null : Doc(p.Description))))],
            Method("GET", "Get a parameter's value", response: new XElement(W("response"), new XAttribute("status", 200))));
        yield return Resource("job_owner", "{job-id}/owner", "This resource handles the job's owner",
            Method("GET", "Get the job's owner", response: Ok("text/plain", "xs:string")));
    }

    /// <summary>The definition's form fields: parameters, then used entities (given as an identifier, a URL or an upload).</summary>
    private static IEnumerable<XElement> JobParams(JobDefinition definition)
    {
        foreach (var p in definition.Parameters)
        {
            yield return new XElement(W("param"),
                Query(p.Name, p.Type == ParameterTypes.File ? "xs:base64Binary" : p.Type, p.Required),
                p.Default is null ? null : new XAttribute("default", p.Default),
                p.Description is null ? null : Doc(p.Description),
                p.Unit is null ? null : Doc(p.Unit, "unit"),
                p.Min is null ? null : Doc(p.Min, "min"),
                p.Max is null ? null : Doc(p.Max, "max"),
                (p.Options ?? []).Select(Option));
        }

        foreach (var u in definition.Used)
        {
            var uploadOnly = u.Url is null || u.Url.StartsWith("file://", StringComparison.OrdinalIgnoreCase);
            yield return new XElement(W("param"),
                Query(u.Name, uploadOnly ? "xs:base64Binary" : "xs:anyURI", u.Required),
                u.Default is null ? null : new XAttribute("default", u.Default),
                u.Multiplicity is null or "1" ? null : new XAttribute("repeating", "true"),
                u.Description is null ? null : Doc(u.Description));
        }
    }

    // Every job resource's path starts with {job-id}: its template param is declared on the resource (WADL 2.6).
    private static XElement Resource(string id, string path, string doc, params XElement[] methods) =>
        Resource(id, path, doc, [], methods);

    private static XElement Resource(string id, string path, string doc, XElement[] templates, params XElement[] methods) =>
        new(W("resource"), new XAttribute("id", id), new XAttribute("path", path), Doc(doc), Template("job-id"), templates, methods);

    private static XElement Method(string name, string doc, string? id = null, XElement? request = null, XElement? response = null, XElement[]? responses = null) =>
        new(W("method"),
            id is null ? null : new XAttribute("id", id),
            new XAttribute("name", name),
            Doc(doc),
            request,
            response is null ? null : new[] { response, Status(404), Status(500) },
            responses);

    /// <summary>A POST's form fields, as WADL 2.8.2 says: query-style params of each form representation of the request.</summary>
    /// <param name="id">The id of the urlencoded representation ("{id}_multipart" for the multipart one); WADL gives a request no id.</param>
    private static XElement FormRequest(string? id, IReadOnlyList<XElement> fields, bool multipart = true) =>
        new(W("request"),
            new XElement(W("representation"), id is null ? null : new XAttribute("id", id),
                new XAttribute("mediaType", "application/x-www-form-urlencoded"), fields),
            multipart
                ? new XElement(W("representation"), id is null ? null : new XAttribute("id", id + "_multipart"),
                    new XAttribute("mediaType", "multipart/form-data"), fields)
                : null);

    private static XElement Ok(string mediaType, string element) =>
        new(W("response"), new XAttribute("status", 200),
            new XElement(W("representation"), new XAttribute("mediaType", mediaType), new XAttribute("element", element)));

    private static XElement Status(int status, string? doc = null) =>
        new(W("response"), new XAttribute("status", status), doc is null ? null : Doc(doc));

    private static XElement Template(string name) =>
        new(W("param"), new XAttribute("style", "template"), new XAttribute("name", name), new XAttribute("type", "xs:string"), new XAttribute("required", "true"));

    private static XAttribute[] Query(string name, string type, bool required) =>
        [new("style", "query"), new("name", name), new("type", type), new("required", required ? "true" : "false")];

    private static XElement QueryParam(string name, string type, bool required, string? defaultValue, string? doc) =>
        new(W("param"), Query(name, type, required), defaultValue is null ? null : new XAttribute("default", defaultValue), doc is null ? null : Doc(doc));

    private static XElement Option(string value) => new(W("option"), new XAttribute("value", value));

    private static XElement Doc(string text, string? title = null) =>
        new(W("doc"), title is null ? null : new XAttribute("title", title), text);

    private static string? DurationDefault(JobDefinition definition) =>
        definition.ExecutionDuration > 0 ? definition.ExecutionDuration.ToString(CultureInfo.InvariantCulture) : null;

    private static XName W(string name) => Namespace + name;
}
