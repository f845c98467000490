using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Definitions;

/// <summary>A server with the sample definitions (copy, fail, sleep); callers without credentials are anonymous with every role.</summary>
public sealed class SampleServerFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await OpusServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>
/// A server with the sample definitions where every caller signs in (anonymous access off), with
/// two users made through SCIM: alice (role "*", every definition) and bob (role "copy" only).
/// </summary>
public sealed class SignedInServerFixture : IAsyncLifetime
{
    public OpusServer Server { get; private set; } = null!;

    public HttpClient Alice { get; private set; } = null!;

    public HttpClient Bob { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await OpusServer.StartAsync(new Dictionary<string, string> { ["Opus:Auth:AnonymousEnabled"] = "false" });
        Admin = Server.AdminClient();
        Alice = await DefinitionTestHelpers.CreateUserAsync(Server, "alice", "*");
        Bob = await DefinitionTestHelpers.CreateUserAsync(Server, "bob", "copy");
    }

    public async Task DisposeAsync()
    {
        Alice?.Dispose();
        Bob?.Dispose();
        Admin?.Dispose();
        if (Server is not null)
            await Server.DisposeAsync();
    }
}

/// <summary>
/// A server whose definitions come from a test folder (Opus:DefinitionsPath): inputs by upload, URL or
/// identifier (the URL template points to a <see cref="LocalFileServer"/> on 127.0.0.1) and multi-file results.
/// Downloads are limited to <see cref="MaxBytes"/> bytes and <see cref="TimeoutSeconds"/> seconds.
/// </summary>
public class InputServerFixture : IAsyncLifetime
{
    public const int MaxBytes = 65536;
    // Long enough for a download from 127.0.0.1 on a machine whose load average is 10.
    public const int TimeoutSeconds = 5;

    /// <summary>How long the slow answers of the file server stall: far beyond the limit, so giving up at the limit shows.</summary>
    public const int StallSeconds = TimeoutSeconds + 60;

    private readonly string _definitions = Directory.CreateTempSubdirectory("opus-definitions-").FullName;

    public OpusServer Server { get; private set; } = null!;

    public LocalFileServer Files { get; private set; } = null!;

    /// <summary>Whether the server may fetch from loopback and private addresses.</summary>
    protected virtual bool AllowPrivateAddresses => true;

    public async Task InitializeAsync()
    {
        Files = LocalFileServer.Start();
        foreach (var (name, yaml) in InputDefinitions.All(Files.BaseUrl))
            await File.WriteAllTextAsync(Path.Combine(_definitions, $"{name}.yaml"), yaml);
        var settings = new Dictionary<string, string>
        {
            ["Opus:DefinitionsPath"] = _definitions,
            ["Opus:Inputs:MaxBytes"] = MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Opus:Inputs:Timeout"] = TimeSpan.FromSeconds(TimeoutSeconds).ToString("c"),
        };
        if (AllowPrivateAddresses)
            settings["Opus:Inputs:AllowPrivateAddresses"] = "true";
        Server = await OpusServer.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        if (Files is not null)
            await Files.DisposeAsync();
        Directory.Delete(_definitions, recursive: true);
    }
}

/// <summary>The same server and definitions with the default: no downloads from private or loopback addresses.</summary>
public sealed class NoPrivateAddressesFixture : InputServerFixture
{
    protected override bool AllowPrivateAddresses => false;
}

/// <summary>The definitions of <see cref="InputServerFixture"/>'s folder, with the file server's address in their URL templates.</summary>
public static class InputDefinitions
{
    public static IEnumerable<(string Name, string Yaml)> All(string filesUrl)
    {
        // One input file: the script copies it and writes its digest and the name it sees.
        yield return ("readin", $$"""
            name: readin
            version: "1"
            description: Copy one input file; report its SHA-256 and its file name.
            executionDuration: 60
            used:
              - name: data
                url: {{filesUrl}}/files/$ID
                required: true
                description: The file, as an upload, a URL or an identifier.
            generated:
              - name: copy
                file: copy.bin
                contentType: application/octet-stream
              - name: digest
                file: digest.txt
                contentType: text/plain
              - name: filename
                file: name.txt
                contentType: text/plain
            script: |
              cat "$data" > copy.bin
              sha256sum "$data" | cut -c1-64 > digest.txt
              basename "$data" > name.txt
            """);

        // Any number of files for one input: the variable holds their paths separated by spaces.
        yield return ("gather", $$"""
            name: gather
            version: "1"
            description: Concatenate every given file in order.
            executionDuration: 60
            used:
              - name: parts
                multiplicity: "*"
                url: {{filesUrl}}/files/$ID
                required: true
            generated:
              - name: joined
                file: joined.bin
              - name: list
                file: list.txt
                contentType: text/plain
            script: |
              for f in $parts; do cat "$f"; done > joined.bin
              for f in $parts; do basename "$f"; done > list.txt
            """);

        // Results: a glob with several matches, types from the definition or guessed, a glob with one match and one with none.
        yield return ("fanout", """
            name: fanout
            version: "1"
            description: Write COUNT part files and a few others.
            executionDuration: 60
            parameters:
              - name: count
                type: xs:int
                default: "3"
                min: "0"
                max: "9"
            generated:
              - name: part
                file: part_*.dat
              - name: summary
                file: summary.json
              - name: notes
                file: notes.txt
                contentType: text/x-opus-notes
              - name: single
                file: only_*.csv
              - name: absent
                file: nothing_*.xyz
              - name: raw
                file: raw.unknownext
            script: |
              i=1
              while [ "$i" -le "$count" ]; do
                head -c $((i * 100)) /dev/zero | tr '\0' "$i" > "part_$i.dat"
                i=$((i + 1))
              done
              printf '{"count": %s}' "$count" > summary.json
              printf 'some notes\n' > notes.txt
              printf 'a,b\n1,2\n' > only_one.csv
              printf 'raw' > raw.unknownext
            """);
    }
}
