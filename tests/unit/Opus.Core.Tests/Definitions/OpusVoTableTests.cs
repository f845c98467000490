using Opus.Core.Definitions;
using static Opus.Core.Tests.Definitions.DefinitionTestKit;

namespace Opus.Core.Tests.Definitions;

/// <summary>OPUS's own VOTable files read field by field, and written back in OPUS's layout.</summary>
public sealed class OpusVoTableTests
{
    [Fact]
    public void Opus_test_activity_2_is_read_field_by_field()
    {
        var d = DefinitionFormats.Read(Fixture("test_activity_2_vot.xml"), "test_activity_2_vot.xml");

        Assert.Equal("test_activity_2", d.Name);
        Assert.Equal("Job for tests, simply adds input text to a given file", d.Description);
        Assert.Null(d.Doculink);
        Assert.Equal("test", d.Type);
        Assert.Equal("test", d.Subtype);
        Assert.Equal("1", d.Version);
        Assert.Equal("opus-admin", d.ContactName);
        Assert.Equal("admin@opus", d.ContactEmail);
        Assert.Equal(20, d.ExecutionDuration);
        Assert.Equal(10, d.Quote);
        Assert.Null(d.Resources);
        // OPUS's editor posted CRLF; OPUS strips '\r' before running the script, and so do we when reading.
        Assert.Equal("sleep 5\ncat $input > $output\necho $text >> $output\n", d.Script);

        var text = Assert.Single(d.Parameters);
        Assert.Equal("text", text.Name);
        Assert.Equal(ParameterTypes.String, text.Type);
        Assert.Equal("!", text.Default);
        Assert.True(text.Required); // no type="no_query"
        Assert.Equal("Input text for test job 2", text.Description);
        Assert.Null(text.Unit);
        Assert.Null(text.Ucd);
        Assert.Null(text.Utype);
        Assert.Null(text.Min);
        Assert.Null(text.Max);
        Assert.Null(text.Options);

        var input = Assert.Single(d.Used);
        Assert.Equal("input", input.Name);
        Assert.Equal("Input entity for test job 2", input.Description);
        Assert.Null(input.Role);
        Assert.Null(input.Multiplicity);
        Assert.Equal("input.txt", input.Default);
        Assert.Null(input.ContentType);
        Assert.Equal("file://$ID", input.Url);
        Assert.False(input.Required);
        Assert.Null(input.File);

        var output = Assert.Single(d.Generated);
        Assert.Equal("output", output.Name);
        Assert.Equal("Output file that contains the input file and input text", output.Description);
        Assert.Null(output.Role);
        Assert.Null(output.Multiplicity);
        Assert.Equal("output.txt", output.File);
        Assert.Equal("text/plain", output.ContentType);
    }

    [Fact]
    public void The_gammapy_maps_definition_is_read_field_by_field()
    {
        var d = DefinitionVoTable.Read(Fixture("gammapy_maps_vot.xml"), "gammapy_maps_vot.xml");

        Assert.Equal("gammapy_maps", d.Name);
        Assert.StartsWith("Counts, background and significance maps", d.Description, StringComparison.Ordinal);
        Assert.Equal("https://docs.gammapy.org/1.2/tutorials/api/maps.html", d.Doculink);
        Assert.Equal(("analysis", "maps", "0.3"), (d.Type, d.Subtype, d.Version));
        Assert.Equal(("CTAO data explorer team", "opus-admin@obspm.fr"), (d.ContactName, d.ContactEmail));
        Assert.Equal((600, 120), (d.ExecutionDuration, d.Quote!.Value));
        Assert.Equal(
            "python3 -m gammapy_maps --ra \"$RA\" --dec \"$Dec\" \\\n  --nxpix \"$nxpix\" --nypix \"$nypix\" --binsz \"$binsz\" \\\n"
            + "  ${obsids:+--obsids \"$obsids\"} --out map.fits > maps.log 2>&1\n",
            d.Script);

        Assert.Equal(
            [
                ("RA", "xs:float", true, null, "deg", "pos.eq.ra;meta.main", "0", "360"),
                ("Dec", "xs:float", true, null, "deg", "pos.eq.dec;meta.main", "-90", "90"),
                ("nxpix", "xs:int", false, "400", null, null, "1", "4000"),
                ("nypix", "xs:int", false, "400", null, null, "1", "4000"),
                ("binsz", "xs:float", false, "0.02", "deg", null, null, null),
                ("obsids", "xs:string", false, null, null, null, null, null),
            ],
            d.Parameters.Select(p => (p.Name, p.Type, p.Required, p.Default, p.Unit, p.Ucd, p.Min, p.Max)));
        Assert.All(d.Parameters, p => Assert.NotNull(p.Description));
        Assert.All(d.Parameters, p => Assert.Null(p.Options));
        Assert.All(d.Parameters, p => Assert.Null(p.Utype));
        Assert.Equal("Pixel size", d.FindParameter("binsz")!.Description);

        Assert.Empty(d.Used);
        Assert.Equal(
            [("map", "map.fits", "application/fits", "The maps, one HDU each"), ("log", "maps.log", "text/plain", "What gammapy printed")],
            d.Generated.Select(g => (g.Name, g.File, g.ContentType, g.Description)));
        Assert.All(d.Generated, g => Assert.Null(g.Role ?? g.Multiplicity));
    }

    [Theory]
    [InlineData("test_activity_2_vot.xml")]
    [InlineData("gammapy_maps_vot.xml")]
    public void An_opus_file_written_back_has_opus_structure(string fixture)
    {
        var original = Fixture(fixture);
        var written = DefinitionVoTable.Write(DefinitionFormats.Read(original, fixture));
        Assert.Equal(Shape(original), Shape(written));
        Assert.StartsWith(
            "<VOTABLE xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\" version=\"1.3\"",
            written, StringComparison.Ordinal);
    }

    [Fact]
    public void Our_extra_fields_are_opus_utypes_that_opus_files_do_not_need()
    {
        var definition = DefinitionYaml.Read("""
            name: extras
            resources:
              partition: gpu
              cpus: 8
              memory: 16G
            used:
              - name: events
                required: true
                file: events.fits
                url: https://example.org/ev?id=$ID
            generated:
              - name: plots
                file: "plots/*.png"
                multiplicity: "*"
            script: echo
            """, "extras.yaml");
        var lines = Shape(DefinitionVoTable.Write(definition));

        Assert.Contains("/VOTABLE/RESOURCE[extras]/GROUP [name=Resources | utype=opus:JobResources]", lines);
        Assert.Contains("/VOTABLE/RESOURCE[extras]/GROUP[Resources]/PARAM [datatype=int | name=cpus | utype=opus:JobResources.cpus | value=8] text=", lines);
        Assert.Contains("/VOTABLE/RESOURCE[extras]/GROUP[Resources]/PARAM [arraysize=* | datatype=char | name=memory | utype=opus:JobResources.memory | value=16G] text=", lines);
        Assert.Contains("/VOTABLE/RESOURCE[extras]/GROUP[Used]/GROUP[events]/PARAM [datatype=boolean | name=required | utype=opus:UsedDescription.required | value=true] text=", lines);
        Assert.Contains("/VOTABLE/RESOURCE[extras]/GROUP[Used]/GROUP[events]/PARAM [arraysize=* | datatype=char | name=file | utype=opus:UsedDescription.file | value=events.fits] text=", lines);
        // A result's file name or glob is OPUS's default: no extra PARAM.
        Assert.Contains("/VOTABLE/RESOURCE[extras]/GROUP[Generated]/GROUP[plots]/PARAM [arraysize=* | datatype=char | name=default | utype=voprov:Entity.id | value=plots/*.png] text=", lines);
        Assert.DoesNotContain(lines, l => l.Contains("GROUP[plots]/PARAM [arraysize=* | datatype=char | name=file", StringComparison.Ordinal));
    }

    [Fact]
    public void Parameter_types_map_to_votable_datatypes_and_back()
    {
        var definition = new JobDefinition
        {
            Name = "types",
            Script = "true",
            Parameters = ParameterTypes.All.Select((t, i) => new ParameterDefinition { Name = $"p{i}", Type = t }).ToList(),
        };
        var lines = Shape(DefinitionVoTable.Write(definition)).Where(l => l.Contains("GROUP[InputParams]/PARAM ", StringComparison.Ordinal)).ToList();

        string Attributes(int i) => lines[i][(lines[i].IndexOf('[', lines[i].IndexOf("/PARAM", StringComparison.Ordinal)) + 1)..lines[i].LastIndexOf(']')];
        Assert.Equal("ID=p0 | arraysize=* | datatype=char | name=p0 | type=no_query | value=", Attributes(0)); // xs:string
        Assert.Equal("ID=p1 | datatype=int | name=p1 | type=no_query | value=", Attributes(1));
        Assert.Equal("ID=p2 | datatype=long | name=p2 | type=no_query | value=", Attributes(2));
        Assert.Equal("ID=p3 | datatype=double | name=p3 | type=no_query | value=", Attributes(3));
        Assert.Equal("ID=p4 | datatype=float | name=p4 | type=no_query | value=", Attributes(4));
        Assert.Equal("ID=p5 | datatype=boolean | name=p5 | type=no_query | value=", Attributes(5));
        Assert.Equal("ID=p6 | arraysize=* | datatype=char | name=p6 | type=no_query | value= | xtype=timestamp", Attributes(6));
        Assert.Equal("ID=p7 | arraysize=* | datatype=char | name=p7 | type=no_query | value= | xtype=anyURI", Attributes(7));
        Assert.Equal("ID=p8 | arraysize=* | datatype=char | name=p8 | type=no_query | value= | xtype=application/octet-stream", Attributes(8));

        var back = DefinitionVoTable.Read(DefinitionVoTable.Write(definition), "types");
        Assert.Equal(ParameterTypes.All, back.Parameters.Select(p => p.Type));
    }

    [Theory]
    [InlineData("short", "", "xs:int")]
    [InlineData("unsignedByte", "", "xs:int")]
    [InlineData("unicodeChar", "", "xs:string")]
    [InlineData("char", "", "xs:string")] // OPUS writes anyURI as plain char: it reads back as a string
    [InlineData("char", "xtype=\"dateTime\"", "xs:dateTime")]
    [InlineData("", "", "xs:string")]
    public void Other_votable_datatypes_are_read_as_the_nearest_type(string datatype, string extra, string expected)
    {
        var xml = $"""
            <VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3" version="1.3">
              <RESOURCE name="t" type="meta" utype="voprov:ActivityDescription">
                <PARAM name="script" value="true" arraysize="*" datatype="char"/>
                <GROUP name="InputParams"><PARAM ID="x" name="x" datatype="{datatype}" value="" {extra}/></GROUP>
              </RESOURCE>
            </VOTABLE>
            """;
        Assert.Equal(expected, DefinitionFormats.Read(xml, "t.xml").Parameters[0].Type);
    }

    [Fact]
    public void Opus_older_layout_and_other_votable_versions_are_read()
    {
        // The layout OPUS's /convert upgrades from: entities as PARAMs with a LINK, lowercase executionduration.
        const string xml = """
            <VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.2" version="1.2">
              <RESOURCE ID="old" name="old" type="meta" utype="voprov:ActivityDescription">
                <DESCRIPTION>Old</DESCRIPTION>
                <LINK href="https://example.org/doc"/>
                <PARAM name="executionduration" datatype="int" value="30" utype="uws:Job.executionduration"/>
                <PARAM name="script" value="cat $events" arraysize="*" datatype="char"/>
                <GROUP name="InputParams" utype="voprov:Parameter">
                  <PARAM ID="n" name="n" datatype="int" value="3"><DESCRIPTION>N</DESCRIPTION><VALUES><OPTION value="3"/><OPTION value="5"/></VALUES></PARAM>
                </GROUP>
                <GROUP name="Used" utype="voprov:Used">
                  <PARAM name="events" datatype="char" arraysize="*" value="ev.fits" xtype="application/fits" utype="voprov:Entity">
                    <LINK content-role="location" href="https://example.org/get?id=$ID"/>
                    <DESCRIPTION>Events</DESCRIPTION>
                  </PARAM>
                </GROUP>
                <GROUP name="Generated" utype="voprov:WasGeneratedBy">
                  <PARAM name="out" datatype="char" arraysize="*" value="out.fits" xtype="application/fits" utype="voprov:Entity"><DESCRIPTION>Out</DESCRIPTION></PARAM>
                </GROUP>
              </RESOURCE>
            </VOTABLE>
            """;
        var d = DefinitionFormats.Read(xml, "old_vot.xml");
        Assert.Equal(("old", "Old", "https://example.org/doc", 30, "1"), (d.Name, d.Description, d.Doculink, d.ExecutionDuration, d.Version));
        Assert.Equal(["3", "5"], d.Parameters[0].Options);
        var events = Assert.Single(d.Used);
        Assert.Equal(("events", "ev.fits", "application/fits", "https://example.org/get?id=$ID", "Events"), (events.Name, events.Default, events.ContentType, events.Url, events.Description));
        var output = Assert.Single(d.Generated);
        Assert.Equal(("out", "out.fits", "application/fits", "Out"), (output.Name, output.File, output.ContentType, output.Description));
    }
}
