using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.Playwright;
using Opus.Server.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Opus.Client.Tests;

/// <summary>
/// "Copy as" on the job page: each copied command (curl in bash, the module's cmdlets in pwsh 7.6.10,
/// requests + pyvo in /usr/bin/python3) is run for real and must create the same job, which completes.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed partial class CopyAsTests(BrowserFixture fixture) : IDisposable
{
    // Quotes of both kinds, spaces, $, backticks, a command substitution and a backslash: each must arrive as is.
    private const string Tricky = "it's \"quoted\" $HOME `whoami` $(echo no) ; \\ end";
    private const string TrickyRunId = "run 'a' $x `b`";
    private static readonly XNamespace Uws = "http://www.ivoa.net/xml/UWS/v1.0";
    private static readonly Lazy<string> Module = new(BuildModule);

    // The copied commands of one test, saved to run them; deleted after it.
    private readonly string _folder = Directory.CreateTempSubdirectory("opus-copy-as-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Each_copied_command_creates_the_same_job_which_completes()
    {
        var original = await CreateJobAsync();
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        await session.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = fixture.Server.BaseUri.GetLeftPart(UriPartial.Authority) });
        await session.SignInAsync();
        await session.GoAsync($"#/job/copy/{original}");
        await Expect(session.Page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Copy as…" }).ClickAsync();

        var curl = await CopyAsync(session, "curl");
        Assert.Contains("$OPUS_TOKEN", curl);
        await AssertCreatesSameJobAsync(Run("bash", Save(_folder, "job.sh", curl)), original);

        var powershell = await CopyAsync(session, "PowerShell");
        Assert.Contains("$env:OPUS_TOKEN", powershell);
        var script = Save(_folder, "job.ps1", powershell);
        await AssertCreatesSameJobAsync(Run(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "pwsh"),
            "-NoProfile", "-NonInteractive", "-Command", $"& '{script.Replace("'", "''")}' | ForEach-Object Id"), original);

        var python = await CopyAsync(session, "Python");
        Assert.Contains("parse_job", python);
        await AssertCreatesSameJobAsync(Run("/usr/bin/python3", Save(_folder, "job.py", python)), original);
        session.AssertNoErrors();
    }

    [Fact]
    public async Task When_the_clipboard_is_refused_the_command_is_shown_in_a_field_to_copy_from()
    {
        var original = await CreateJobAsync();
        await using var session = await ClientSession.OpenAsync(fixture.Browser, fixture.Server);
        await session.Page.AddInitScriptAsync("navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));");
        await session.SignInAsync();
        await session.GoAsync($"#/job/copy/{original}");
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Copy as…" }).ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "curl", Exact = true }).ClickAsync();
        var field = session.Page.GetByRole(AriaRole.Textbox, new() { NameRegex = new Regex("^curl command") });
        await Expect(field).ToBeFocusedAsync();
        await AssertCreatesSameJobAsync(Run("bash", Save(_folder, "job.sh", await field.InputValueAsync())), original);
        session.AssertNoErrors();
    }

    [Theory]
    [InlineData(ColorScheme.Light)]
    [InlineData(ColorScheme.Dark)]
    public async Task The_job_page_with_copy_as_open_passes_axe(ColorScheme scheme)
    {
        var original = await CreateJobAsync();
        await using var session = await AccessibilityTests.OpenAsync(fixture);
        await session.Page.EmulateMediaAsync(new() { ColorScheme = scheme });
        await session.Page.AddInitScriptAsync("navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));");
        await session.SignInAsync();
        await session.GoAsync($"#/job/copy/{original}");
        await Expect(session.Page.GetByTestId("job-phase")).ToHaveTextAsync("COMPLETED", new() { Timeout = ClientSession.EventTimeout });
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Copy as…" }).ClickAsync();
        await session.Page.GetByRole(AriaRole.Button, new() { Name = "Python", Exact = true }).ClickAsync();
        await Expect(session.Page.GetByTestId("copy-as-field")).ToBeVisibleAsync();
        var violations = await AccessibilityTests.ViolationsAsync(session.Page);
        await session.ScreenshotAsync($"job-copy-as-{scheme.ToString().ToLowerInvariant()}");
        Assert.True(violations.Count == 0, "axe found:\n" + string.Join("\n", violations));
        session.AssertNoErrors();
    }

    /// <summary>A completed copy job with the tricky text and run id, created over the REST API.</summary>
    private async Task<string> CreateJobAsync()
    {
        using var admin = fixture.Server.AdminClient();
        using var response = await admin.PostAsync("/rest/copy", new FormUrlEncodedContent([new("text", Tricky), new("RUNID", TrickyRunId), new("PHASE", "RUN")]));
        Assert.Equal(System.Net.HttpStatusCode.SeeOther, response.StatusCode);
        var id = response.Headers.Location!.OriginalString.Split('/')[^1];
        await WaitCompletedAsync(admin, id);
        return id;
    }

    private static async Task<XElement> WaitCompletedAsync(HttpClient admin, string id)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        var job = XElement.Parse(await admin.GetStringAsync($"/rest/copy/{id}"));
        while (true)
        {
            var phase = (string?)job.Element(Uws + "phase");
            if (phase is "COMPLETED")
                return job;
            Assert.False(phase is "ERROR" or "ABORTED", $"job {id} ended {phase}");
            Assert.True(DateTime.UtcNow < deadline, $"job {id} still {phase}");
            // UWS blocking: answers when the phase changes, or after 10 s.
            job = XElement.Parse(await admin.GetStringAsync($"/rest/copy/{id}?WAIT=10&PHASE={phase}"));
        }
    }

    private static async Task<string> CopyAsync(ClientSession session, string form)
    {
        await session.Page.GetByRole(AriaRole.Button, new() { Name = form, Exact = true }).ClickAsync();
        await Expect(session.Page.GetByTestId("copy-as-copied")).ToContainTextAsync(form == "Python" ? "Python snippet copied" : $"{form} command copied");
        return await session.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
    }

    private static string Save(string folder, string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs a copied command with OPUS_TOKEN set (and, for pwsh, the built module on PSModulePath); answers its standard output.</summary>
    private static string Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["OPUS_TOKEN"] = OpusServer.AdminToken;
        if (Path.GetFileName(program) == "pwsh")
            start.Environment["PSModulePath"] = Path.GetDirectoryName(Path.GetDirectoryName(Module.Value));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), $"{program} did not finish");
        Assert.True(process.ExitCode == 0, $"{program} exited {process.ExitCode}: {output.Result}{errors.Result}");
        return output.Result;
    }

    /// <summary>The job named in the command's output has the original's definition, parameter, run id and result.</summary>
    private async Task AssertCreatesSameJobAsync(string output, string original)
    {
        var match = JobIdPattern().Match(output);
        Assert.True(match.Success, $"no new job in: {output}");
        var id = match.Groups["id"].Value;
        Assert.NotEqual(original, id);
        using var admin = fixture.Server.AdminClient();
        var job = await WaitCompletedAsync(admin, id);
        var first = XElement.Parse(await admin.GetStringAsync($"/rest/copy/{original}"));
        Assert.Contains(("text", Tricky), Parameters(first));
        Assert.Equal(Parameters(first), Parameters(job));
        Assert.Equal(TrickyRunId, (string?)job.Element(Uws + "runId"));
        Assert.Equal(Tricky, await admin.GetStringAsync($"/rest/copy/{id}/results/output"));
    }

    private static List<(string Id, string Value)> Parameters(XElement job) =>
        job.Element(Uws + "parameters")!.Elements(Uws + "parameter").Select(p => ((string)p.Attribute("id")!, p.Value)).ToList();

    /// <summary>scripts/build-module.sh into a temporary folder, once: the path of its Opus.psd1.</summary>
    private static string BuildModule()
    {
        var root = Directory.CreateTempSubdirectory("opus-module-").FullName;
        // Built once for the test process; gone with it.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(root, recursive: true);
        var folder = Path.Combine(root, "Opus");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(OpusServer.RepositoryRoot, "scripts", "build-module.sh"));
        start.ArgumentList.Add(new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name);
        start.Environment["OPUS_MODULE_OUT"] = folder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("build-module.sh did not finish in 8 minutes");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"build-module.sh failed: {output.Result}{errors.Result}");
        return Path.Combine(folder, "Opus.psd1");
    }

    /// <summary>A job id in a command's output: curl and Python print the job's URL, PowerShell its Id.</summary>
    [GeneratedRegex(@"(?:/rest/copy/)?(?<id>[0-9a-zA-Z_-]{8,})\s*$", RegexOptions.Multiline)]
    private static partial Regex JobIdPattern();
}
