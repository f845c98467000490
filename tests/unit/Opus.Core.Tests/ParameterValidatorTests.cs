using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Tests;

public sealed class ParameterValidatorTests
{
    private static ParameterDefinition P(string type, string? min = null, string? max = null, params string[] options) =>
        new() { Name = "p", Type = type, Min = min, Max = max, Options = options.Length > 0 ? [.. options] : null };

    [Theory]
    [InlineData("xs:int", "42")]
    [InlineData("xs:int", "-7")]
    [InlineData("xs:long", "9000000000")]
    [InlineData("xs:double", "1.5e3")]
    [InlineData("xs:float", "-0.25")]
    [InlineData("xs:boolean", "TRUE")]
    [InlineData("xs:dateTime", "2026-01-31T12:00:00Z")]
    [InlineData("xs:anyURI", "https://example.org/data?id=1")]
    [InlineData("xs:string", "$(rm -rf /)")]
    public void Accepts_well_formed_values(string type, string value) =>
        Assert.Null(ParameterValidator.Check(P(type), value));

    [Theory]
    [InlineData("xs:int", "abc", "'abc' is not an integer (xs:int)")]
    [InlineData("xs:int", "1.5", "is not an integer")]
    [InlineData("xs:int", "99999999999", "is not an integer")]
    [InlineData("xs:double", "NaN", "is not a number")]
    [InlineData("xs:boolean", "yes", "is not a boolean")]
    [InlineData("xs:dateTime", "yesterday", "is not an ISO 8601")]
    [InlineData("xs:anyURI", "not a uri", "is not an absolute URI")]
    public void Rejects_malformed_values_saying_why(string type, string value, string expected) =>
        Assert.Contains(expected, ParameterValidator.Check(P(type), value), StringComparison.Ordinal);

    [Fact]
    public void Checks_range_and_options()
    {
        Assert.Contains("below the minimum 0", ParameterValidator.Check(P("xs:int", "0", "10"), "-1"), StringComparison.Ordinal);
        Assert.Contains("above the maximum 10", ParameterValidator.Check(P("xs:int", "0", "10"), "11"), StringComparison.Ordinal);
        Assert.Null(ParameterValidator.Check(P("xs:int", "0", "10"), "10"));
        Assert.Contains("not one of the options: a, b", ParameterValidator.Check(P("xs:string", null, null, "a", "b"), "c"), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_names_the_parameter_and_canonicalizes_booleans()
    {
        var error = Assert.Throws<OpusValidationException>(() => ParameterValidator.Validate(P("xs:int"), "x"));
        Assert.StartsWith("parameter 'p': ", error.Message, StringComparison.Ordinal);
        Assert.Equal("true", ParameterValidator.Validate(P("xs:boolean"), " True "));
    }
}
