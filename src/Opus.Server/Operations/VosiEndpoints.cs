using System.Xml;
using Opus.Core.Definitions;
using Opus.Server.Auth;

namespace Opus.Server.Operations;

/// <summary>
/// IVOA VOSI 1.1: /availability (whether the server can serve, from the readiness checks) and /capabilities
/// (the VOSI resources and one UWS 1.1 job list per definition the caller may use, as /rest lists them).
/// </summary>
public static class VosiEndpoints
{
    private const string Availability = "http://www.ivoa.net/xml/VOSIAvailability/v1.0";
    private const string Capabilities = "http://www.ivoa.net/xml/VOSICapabilities/v1.0";
    private const string VOResource = "http://www.ivoa.net/xml/VOResource/v1.0";
    private const string VODataService = "http://www.ivoa.net/xml/VODataService/v1.1";
    private const string Xsi = "http://www.w3.org/2001/XMLSchema-instance";
    private const string XmlType = "text/xml; charset=utf-8";

    public static void MapVosi(this IEndpointRouteBuilder app, DateTime upSince)
    {
        app.MapGet("/availability", async (Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckService health, CancellationToken ct) =>
        {
            var report = await health.CheckHealthAsync(r => r.Tags.Contains(OperationsSetup.ReadyTag), ct);
            var available = report.Status != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy;
            return Results.Text(Render(xml =>
            {
                xml.WriteStartElement("vosi", "availability", Availability);
                xml.WriteElementString("vosi", "available", Availability, available ? "true" : "false");
                if (available)
                    xml.WriteElementString("vosi", "upSince", Availability, upSince.ToString("yyyy-MM-ddTHH:mm:ssZ"));
                foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy))
                    xml.WriteElementString("vosi", "note", Availability, $"{name}: {entry.Description}");
                xml.WriteEndElement();
            }), XmlType);
        }).AllowAnonymous();

        app.MapGet("/capabilities", (HttpContext context, DefinitionCatalog catalog) =>
        {
            var request = context.Request;
            var baseUrl = $"{request.Scheme}://{request.Host}{request.PathBase}";
            var caller = context.Caller();
            return Results.Text(Render(xml =>
            {
                xml.WriteStartElement("vosi", "capabilities", Capabilities);
                xml.WriteAttributeString("xmlns", "vr", null, VOResource);
                xml.WriteAttributeString("xmlns", "vs", null, VODataService);
                xml.WriteAttributeString("xmlns", "xsi", null, Xsi);
                Capability(xml, "ivo://ivoa.net/std/VOSI#capabilities", $"{baseUrl}/capabilities", null);
                Capability(xml, "ivo://ivoa.net/std/VOSI#availability", $"{baseUrl}/availability", null);
                foreach (var definition in catalog.All.Where(d => caller.MayUse(d.Name)).OrderBy(d => d.Name, StringComparer.Ordinal))
                    Capability(xml, "ivo://ivoa.net/std/UWS#rest-1.1", $"{baseUrl}/rest/{Uri.EscapeDataString(definition.Name)}", definition.Name);
                xml.WriteEndElement();
            }), XmlType);
        });
    }

    private static void Capability(XmlWriter xml, string standardId, string accessUrl, string? description)
    {
        // Unqualified children, as VOResource's Capability type declares them.
        xml.WriteStartElement("capability");
        xml.WriteAttributeString("standardID", standardId);
        if (description is not null)
            xml.WriteElementString("description", $"UWS job list of the job definition {description}");
        xml.WriteStartElement("interface");
        xml.WriteAttributeString("xsi", "type", Xsi, "vs:ParamHTTP");
        xml.WriteAttributeString("role", "std");
        xml.WriteStartElement("accessURL");
        xml.WriteAttributeString("use", "base");
        xml.WriteString(accessUrl);
        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteEndElement();
    }

    private static string Render(Action<XmlWriter> write)
    {
        var text = new Utf8StringWriter();
        using (var xml = XmlWriter.Create(text, new XmlWriterSettings { Indent = true }))
            write(xml);
        return text.ToString();
    }

    private sealed class Utf8StringWriter : StringWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;
    }
}
