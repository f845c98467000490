using Opus.Core.Provenance;
using static Opus.Core.Tests.Provenance.ChainExample;

namespace Opus.Core.Tests.Provenance;

/// <summary>PROV-N at the level of the grammar: what we write parses; the checker itself tells bad text from good.</summary>
public sealed class ProvNGrammarTests
{
    [Theory]
    [InlineData("chain_ivoa.provn")]
    [InlineData("forward_job1.provn")]
    [InlineData("job2_descriptions.provn")]
    [InlineData("rerun_job3.provn")]
    public async Task The_specification_examples_are_valid_PROV_N(string file) =>
        Assert.Empty(ProvNGrammar.Check(await File.ReadAllTextAsync(FixturePath(file))));

    [Fact]
    public async Task Every_kind_of_answer_we_write_is_valid_PROV_N()
    {
        var queries = new[]
        {
            Query(depth: null, direction: ProvenanceDirection.Both, descriptions: 2),
            Query(depth: null, model: ProvenanceModel.W3C),
            Query(depth: 0, descriptions: 1, configuration: false, agents: false),
        };
        foreach (var query in queries)
        {
            var document = await QueryAsync(Graph(), [new JobNode(Job2), new JobNode(Job3)], query);
            var provn = ProvNWriter.WriteString(document);
            var problems = ProvNGrammar.Check(provn);
            Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + provn);
        }
    }

    [Theory]
    [InlineData("entity(opus_job:x/y.)", "a local part may not end with '.'")]
    [InlineData("entity(opus_job:-x)", "a local part may not start with '-'")]
    [InlineData("entity(opus_job:a b)", "no spaces in names")]
    [InlineData("entity(opus_job:a, [prov:label=\"un\"terminated\"])", "unescaped quote")]
    [InlineData("entity(opus_job:a, [prov:label=\"two\nlines\"])", "raw newline in a string")]
    [InlineData("entity(unknown:a)", "undeclared prefix")]
    [InlineData("entity(opus_job:a, [prov:type='other:Thing'])", "undeclared prefix in a qualified-name literal")]
    [InlineData("used(opus_job:a, opus_store:b, 2024-05-02T09:30:00Z, -)", "a fourth positional argument")]
    [InlineData("specializationOf(opus_job:a, opus_job:b, [prov:label=\"x\"])", "specializationOf has no attributes")]
    [InlineData("activity(opus_job:a, 2024-05-02, 2024-05-02T09:30:00Z)", "a date is not a time")]
    [InlineData("wasInfluencedBy(opus_job:a)", "a missing argument")]
    [InlineData("entity(opus_job:a, [prov:label=\"x\" %% 'xsd:string'])", "a datatype is a name, not a literal")]
    [InlineData("bundle(opus_job:a)", "not an expression of the subset")]
    public void The_checker_refuses_what_the_grammar_refuses(string expression, string why)
    {
        var text = $"document\n  prefix opus_job <https://x/rest/>\n  prefix opus_store <https://x/store/?ID=>\n  {expression}\nendDocument\n";
        Assert.True(ProvNGrammar.Check(text).Count > 0, $"accepted although {why}: {expression}");
    }

    [Theory]
    [InlineData("entity(opus_job:a/b%20c#d, [prov:label=\"x \\\" y \\\\ z\", prov:type='prov:Plan', opus_job:n=\"v\" %% xsd:string])")]
    [InlineData("used(opus_job:a, opus_store:b, -)")]
    [InlineData("used(opus_job:a, opus_store:b, 2024-05-02T09:30:00.5Z, [prov:role=\"in\"])")]
    [InlineData("used(opus_job:u1; opus_job:a, opus_store:b, -)")]
    [InlineData("wasDerivedFrom(opus_store:a, opus_store:b)")]
    [InlineData("wasDerivedFrom(opus_store:a, opus_store:b, -, -, -, [prov:label=\"d\"])")]
    [InlineData("activity(opus_job:a)")]
    public void The_checker_accepts_what_the_grammar_accepts(string expression)
    {
        var text = $"document\n  prefix opus_job <https://x/rest/>\n  prefix opus_store <https://x/store/?ID=>\n  {expression}\nendDocument\n";
        var problems = ProvNGrammar.Check(text);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
