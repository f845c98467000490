using Opus.Core.Jobs;
using Opus.Core.Provenance;

namespace Opus.Core.Tests.Provenance;

/// <summary>ProvSAP request parameters (provenance.md section 7.1).</summary>
public sealed class ProvSapParametersTests
{
    private static ProvenanceQuery Parse(params (string Name, string Value)[] parameters) =>
        ProvSapParameters.Parse(parameters.Select(p => new KeyValuePair<string, string?>(p.Name, p.Value)), "https://opus.example.org");

    [Fact]
    public void Defaults_are_those_of_the_specification()
    {
        var query = Parse(("ID", "abc"));

        Assert.Equal(["abc"], query.Ids);
        Assert.Equal(1, query.Depth);
        Assert.Equal(ProvenanceDirection.Back, query.Direction);
        Assert.Equal(ProvenanceModel.Ivoa, query.Model);
        Assert.Equal(ProvenanceFormat.ProvSvg, query.Format);
        Assert.True(query.Agents);
        Assert.Equal(0, query.Descriptions);
        Assert.True(query.Configuration);
        Assert.True(query.Attributes);
        Assert.Equal("LR", query.GraphDirection);
        Assert.Equal("https://opus.example.org", query.BaseUrl);
    }

    [Fact]
    public void Names_and_values_are_case_insensitive_and_aliases_are_understood()
    {
        var query = Parse(("id", "a"), ("Id", "b"), ("depth", "all"), ("direction", "backward"), ("model", "w3c"), ("responseformat", "text/provenance-notation"),
            ("agents", "false"), ("descriptions", "2"), ("configuration", "0"), ("attributes", "FALSE"), ("gd", "tb"), ("members", "1"), ("unknown", "ignored"));

        Assert.Equal(["a", "b"], query.Ids);
        Assert.Null(query.Depth);
        Assert.Equal(ProvenanceDirection.Back, query.Direction);
        Assert.Equal(ProvenanceModel.W3C, query.Model);
        Assert.Equal(ProvenanceFormat.ProvN, query.Format);
        Assert.False(query.Agents);
        Assert.Equal(2, query.Descriptions);
        Assert.False(query.Configuration);
        Assert.False(query.Attributes);
        Assert.Equal("TB", query.GraphDirection);
        Assert.Equal(ProvenanceDirection.Forward, Parse(("ID", "a"), ("DIRECTION", "FORTH")).Direction);
        Assert.Equal(ProvenanceDirection.Both, Parse(("ID", "a"), ("DIRECTION", "both")).Direction);
        Assert.Equal(7, Parse(("ID", "a"), ("DEPTH", "7")).Depth);
    }

    [Theory]
    [InlineData("PROV-JSON", ProvenanceFormat.ProvJson)]
    [InlineData("application/json", ProvenanceFormat.ProvJson)]
    [InlineData("prov-xml", ProvenanceFormat.ProvXml)]
    [InlineData("application/provenance+xml", ProvenanceFormat.ProvXml)]
    [InlineData("text/xml", ProvenanceFormat.ProvXml)]
    [InlineData("PROV-N", ProvenanceFormat.ProvN)]
    [InlineData("PROV-SVG", ProvenanceFormat.ProvSvg)]
    [InlineData("image/svg+xml", ProvenanceFormat.ProvSvg)]
    [InlineData("PROV-PNG", ProvenanceFormat.ProvPng)]
    public void Formats_are_named_or_given_by_media_type(string value, ProvenanceFormat format) =>
        Assert.Equal(format, Parse(("ID", "a"), ("RESPONSEFORMAT", value)).Format);

    [Theory]
    [InlineData("DEPTH", "-1")]
    [InlineData("DEPTH", "one")]
    [InlineData("DEPTH", "1.5")]
    [InlineData("DIRECTION", "UP")]
    [InlineData("MODEL", "PROV")]
    [InlineData("RESPONSEFORMAT", "PROV-TXT")]
    [InlineData("AGENTS", "yes")]
    [InlineData("DESCRIPTIONS", "3")]
    [InlineData("CONFIGURATION", "2")]
    [InlineData("ATTRIBUTES", "maybe")]
    [InlineData("GD", "UP")]
    [InlineData("MEMBERS", "all")]
    public void A_bad_value_is_refused_naming_the_parameter(string name, string value)
    {
        var error = Assert.Throws<OpusValidationException>(() => Parse(("ID", "a"), (name.ToLowerInvariant(), value)));
        Assert.StartsWith(name + ":", error.Message);
    }

    [Theory]
    [InlineData("DEPTH")]
    [InlineData("DIRECTION")]
    [InlineData("MODEL")]
    [InlineData("RESPONSEFORMAT")]
    public void A_single_valued_parameter_given_twice_is_refused(string name)
    {
        var error = Assert.Throws<OpusValidationException>(() => Parse(("ID", "a"), (name, "1"), (name.ToLowerInvariant(), "1")));
        Assert.StartsWith(name, error.Message);
    }

    [Fact]
    public void ID_is_required_and_not_empty()
    {
        Assert.StartsWith("ID", Assert.Throws<OpusValidationException>(() => Parse(("DEPTH", "1"))).Message);
        Assert.StartsWith("ID", Assert.Throws<OpusValidationException>(() => Parse(("ID", " "))).Message);
    }

    [Theory]
    [InlineData("abc123", null, "abc123", null)]
    [InlineData("opus_job:copy/abc123", "copy", "abc123", null)]
    [InlineData("opus_job:test_activity_1/9c0e11/results/output", "test_activity_1", "9c0e11", "results/output")]
    [InlineData("https://opus.example.org/rest/copy/abc123", "copy", "abc123", null)]
    [InlineData("https://opus.example.org/rest/copy/abc123/used/in%20put/2?x=1", "copy", "abc123", "used/in put/2")]
    public void Job_references_are_read_from_ids_names_and_URLs(string text, string? definition, string job, string? path) =>
        Assert.Equal(new JobReference(definition, job, path), JobReference.Parse(text));

    [Theory]
    [InlineData("opus_job:copy")]
    [InlineData("https://opus.example.org/store/?ID=xyz")]
    [InlineData("not a job")]
    public void Other_text_is_not_a_job_reference(string text) => Assert.Null(JobReference.Parse(text));
}
