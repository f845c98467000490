using System.Globalization;
using System.Text;
using Opus.Core.Sessions;

namespace Opus.Client;

/// <summary>Provenance through ProvSAP (/provsap).</summary>
public sealed partial class RemoteOpusSession
{
    /// <summary>ProvSAP: GET /provsap?ID=..&amp;DEPTH=..&amp;DIRECTION=..&amp;MODEL=..&amp;RESPONSEFORMAT=..</summary>
    private sealed class RemoteProvenance(RemoteOpusSession session) : IProvenanceSource
    {
        public async Task<ProvenanceDocument> GetAsync(ProvenanceQuery query, CancellationToken cancellationToken = default)
        {
            var path = new StringBuilder($"provsap?ID={Uri.EscapeDataString(query.Id)}");
            if (query.Depth is { } depth)
                path.Append(CultureInfo.InvariantCulture, $"&DEPTH={depth}");
            if (query.Direction is { } direction)
                path.Append($"&DIRECTION={Uri.EscapeDataString(direction)}");
            if (query.Model is { } model)
                path.Append($"&MODEL={Uri.EscapeDataString(model)}");
            path.Append($"&RESPONSEFORMAT={ProvenanceFormats.Name(query.Format)}");
            using var response = await session.SendAsync(HttpMethod.Get, path.ToString(), null, cancellationToken);
            var content = await response.Content.ReadAsStringAsync(cancellationToken);
            return new ProvenanceDocument(query.Id, query.Format, response.Content.Headers.ContentType?.MediaType ?? ProvenanceFormats.MediaType(query.Format), content);
        }
    }
}
