using System.Net;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>
/// A file the test creates to let a job go on. A gated job's script waits for it, so the job cannot end
/// before the test says so however fast or slow the machine is. The wait has an upper bound
/// (<see cref="UpperBoundSeconds"/>, then the script fails) so a broken test still ends.
/// </summary>
public sealed class Gate : IDisposable
{
    /// <summary>The name of the test definition whose jobs wait for the gate file named by their "gate" parameter.</summary>
    public const string Definition = "gated";

    public const int UpperBoundSeconds = 300;

    // Not under /tmp: a sandboxed job has a /tmp of its own, and sees the rest of the system read-only.
    // Readable by everyone, as sandboxed jobs run as an unprivileged user.
    private const UnixFileMode Readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _folder = CreateFolder();

    /// <summary>The file that opens the gate (it does not exist until <see cref="Open"/>).</summary>
    public string FilePath => Path.Combine(_folder, "open");

    public void Open()
    {
        File.WriteAllText(FilePath, "open\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(FilePath, Readable);
    }

    private static string CreateFolder()
    {
        var folder = Path.Combine("/var/tmp", $"opus-gate-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(folder, Readable | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        return folder;
    }

    /// <summary>
    /// One shell line that waits until the file at <paramref name="pathWord"/> (a quoted shell word) exists, at most
    /// about <see cref="UpperBoundSeconds"/> (then the script fails with status 75).
    /// </summary>
    public static string WaitCommand(string pathWord) =>
        $"waited=0; until [ -e {pathWord} ]; do if [ \"$waited\" -ge {UpperBoundSeconds * 10} ]; then echo 'the test never opened the gate' >&2; exit 75; fi; sleep 0.1; waited=$((waited + 1)); done";

    /// <summary>The wait for this gate's file, for a script written by the test.</summary>
    public string WaitCommand() => WaitCommand($"'{FilePath}'");

    /// <summary>The "gated" definition: waits for the file its "gate" parameter names, then writes a report.</summary>
    public static string DefinitionYaml => $$"""
        name: {{Definition}}
        version: "1"
        description: Waits until the test creates the gate file, then writes a report.
        executionDuration: 600
        parameters:
          - name: gate
            type: xs:string
            required: true
            description: The file whose creation lets the job end.
        generated:
          - name: report
            file: report.txt
            contentType: text/plain
        script: |
          {{WaitCommand("\"$gate\"")}}
          echo "gate opened" > report.txt
        """;

    /// <summary>Publishes the "gated" definition on <paramref name="server"/> (as its admin) unless it has it already.</summary>
    public static async Task PublishAsync(OpusServer server)
    {
        using var admin = server.AdminClient();
        using (var known = await admin.GetAsync($"/jdl/{Definition}"))
        {
            if (known.StatusCode == HttpStatusCode.OK)
                return;
        }

        using var content = new StringContent(DefinitionYaml, System.Text.Encoding.UTF8, "application/yaml");
        using var response = await admin.PutAsync($"/jdl/{Definition}?publish=true", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"PUT /jdl/{Definition}: {(int)response.StatusCode} {body}");
    }

    /// <summary>Creates and runs a gated job that waits for this gate; returns its path.</summary>
    public Task<string> RunJobAsync(HttpClient client) =>
        client.CreateJobAsync(Definition, ("gate", FilePath), ("PHASE", "RUN"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; a gate file is harmless.
        }
    }
}
