using System.Collections;
using Opus.Client;
using Opus.Core.Jobs;
using Opus.Core.Sessions;
using Opus.Core.Uws;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Tests;

/// <summary>
/// What the cmdlets decide before they call PowerShell (L2): error ids and categories, -WhatIf texts,
/// argument checks, file targets, progress. Plain classes; no PowerShell code runs here.
/// </summary>
public sealed class DecisionTests
{
    [Theory]
    [InlineData(typeof(OpusValidationException), "InvalidUwsJob", "InvalidArgument")]
    [InlineData(typeof(OpusNotFoundException), "UwsJobNotFound", "ObjectNotFound")]
    [InlineData(typeof(OpusStateException), "UwsJobNotAllowed", "InvalidOperation")]
    [InlineData(typeof(OpusConflictException), "UwsJobExists", "ResourceExists")]
    [InlineData(typeof(InvalidDataException), "InvalidUwsJob", "InvalidData")]
    [InlineData(typeof(TimeoutException), "UwsJobTimeout", "OperationTimeout")]
    [InlineData(typeof(FileNotFoundException), "UwsJobFileNotFound", "ObjectNotFound")]
    [InlineData(typeof(UnauthorizedAccessException), "UwsJobFileAccessDenied", "PermissionDenied")]
    [InlineData(typeof(IOException), "UwsJobFileError", "WriteError")]
    [InlineData(typeof(InvalidOperationException), "UwsJobFailed", "NotSpecified")]
    public void Core_failures_map_to_stable_error_ids_and_categories(Type exception, string errorId, string category)
    {
        var error = OpusError.From((Exception)Activator.CreateInstance(exception, "the message")!, "UwsJob");
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(category, error.Category);
        Assert.Equal("the message", error.Message);
    }

    [Fact]
    public void Server_failures_say_whether_the_server_was_unreachable_refused_the_credentials_or_failed()
    {
        Assert.Equal(("OpusServerUnreachable", "ConnectionError"), Pair(OpusError.From(new OpusSessionException("down"), "UwsJob")));
        Assert.Equal(("OpusAuthenticationFailed", "AuthenticationError"), Pair(OpusError.From(new OpusSessionException("who?", 401), "OpusUser")));
        Assert.Equal(("OpusServerError", "ProtocolError"), Pair(OpusError.From(new OpusSessionException("oops", 500), "OpusUser")));

        static (string, string) Pair(OpusError e) => (e.ErrorId, e.Category);
    }

    [Fact]
    public void The_subject_names_the_error_id()
    {
        Assert.Equal("ActivityDescriptionNotFound", OpusError.From(new OpusNotFoundException("x"), "ActivityDescription").ErrorId);
        Assert.Equal("OpusUserExists", OpusError.From(new OpusConflictException("x"), "OpusUser").ErrorId);
        Assert.Equal("OpusUserTokenNotFound", OpusError.From(new OpusNotFoundException("x"), "OpusUserToken").ErrorId);
    }

    [Fact]
    public void An_externalId_and_its_absence_are_decided_like_the_other_user_attributes()
    {
        // Only an explicit value changes the externalId; "" is a change (it clears), null is none.
        Assert.True(new UserChanges().IsEmpty);
        Assert.False(new UserChanges(ExternalId: "").IsEmpty);
        Assert.False(new UserChanges(ExternalId: "sub").IsEmpty);
        // Finding no user by externalId is reported as an unknown user is.
        var none = OpusError.NoUserWithExternalId("sub-1");
        Assert.Equal(("OpusUserNotFound", "ObjectNotFound"), (none.ErrorId, none.Category));
        Assert.Equal(OpusError.From(new OpusNotFoundException("x"), "OpusUser").ErrorId, none.ErrorId);
        Assert.Contains("'sub-1'", none.Message);
    }

    [Fact]
    public void A_session_is_the_connected_one_else_OPUS_DATA_else_an_error()
    {
        Assert.Equal(SessionChoiceKind.UseCurrent, SessionChoice.Decide(true, "/data").Kind);
        var local = SessionChoice.Decide(false, " /srv/opus/data ");
        Assert.Equal((SessionChoiceKind.OpenLocal, "/srv/opus/data"), (local.Kind, local.DataPath));
        var none = SessionChoice.Decide(false, "");
        Assert.Equal(SessionChoiceKind.None, none.Kind);
        Assert.Equal("OpusNotConnected", none.Error!.ErrorId);
        Assert.Contains("Connect-OpusServer", none.Error.Message);
        Assert.Contains("OPUS_DATA", none.Error.Message);
    }

    [Fact]
    public void Job_list_arguments_become_a_UWS_query()
    {
        var after = new DateTime(2026, 5, 1, 12, 0, 0, DateTimeKind.Utc);
        var (query, error) = JobListPlan.Decide("copy", ["completed", "ERROR", "COMPLETED"], after, 5);
        Assert.Null(error);
        Assert.Equal("copy", query!.Definition);
        Assert.Equal([JobPhase.COMPLETED, JobPhase.ERROR], query.Phases);
        Assert.Equal((after, 5), (query.After, query.Last));

        var (all, _) = JobListPlan.Decide(null, null, null, null);
        Assert.Equal(new JobListQuery(), all);
    }

    [Fact]
    public void Wrong_list_arguments_are_errors_naming_the_value()
    {
        var (_, phase) = JobListPlan.Decide(null, ["FINISHED"], null, null);
        Assert.Equal(("InvalidUwsJobPhase", "InvalidArgument"), (phase!.ErrorId, phase.Category));
        Assert.Contains("FINISHED", phase.Message);
        Assert.Contains("EXECUTING", phase.Message);
        var (_, last) = JobListPlan.Decide(null, null, null, 0);
        Assert.Equal("InvalidUwsJobLast", last!.ErrorId);
    }

    [Fact]
    public void Hashtable_values_become_UWS_text_and_files_become_uploads()
    {
        var file = new FileInfo(Path.Combine(Path.GetTempPath(), "m31.fits"));
        var table = new Hashtable
        {
            ["seconds"] = 2.5,
            ["flag"] = true,
            ["when"] = new DateTime(2026, 1, 31, 12, 0, 0, DateTimeKind.Utc),
            ["band"] = new object[] { "g", new Wrapper("r") },
            ["image"] = file,
        };
        var (values, files, error) = ParameterValues.From(table, o => o is Wrapper w ? w.Value : o);
        Assert.Null(error);
        Assert.Contains(new KeyValuePair<string, string>("seconds", "2.5"), values);
        Assert.Contains(new KeyValuePair<string, string>("flag", "true"), values);
        Assert.Contains(new KeyValuePair<string, string>("when", "2026-01-31T12:00:00.000Z"), values);
        Assert.Equal(["g", "r"], values.Where(v => v.Key == "band").Select(v => v.Value));
        Assert.Equal([new JobFile("image", file.FullName)], files);
    }

    [Fact]
    public void A_parameter_without_a_value_is_an_error()
    {
        var (_, _, error) = ParameterValues.From(new Hashtable { ["text"] = null }, o => o);
        Assert.Equal("InvalidUwsJobParameter", error!.ErrorId);
        Assert.Contains("'text'", error.Message);
    }

    [Fact]
    public void Numbers_are_written_in_the_invariant_culture()
    {
        var before = Thread.CurrentThread.CurrentCulture;
        try
        {
            Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("fr-FR");
            Assert.Equal("0.25", ParameterValues.Text(0.25));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = before;
        }
    }

    [Fact]
    public void Results_download_into_a_folder_per_job_and_never_outside_it()
    {
        var destination = Path.Combine(Path.GetTempPath(), "out");
        var (target, error) = FilePlan.ResultTarget(destination, new UwsResult("copy", "job1", "output", "sub/output.txt", 5, "text/plain", null));
        Assert.Null(error);
        Assert.Equal(Path.Combine(destination, "job1", "sub", "output.txt"), target);

        var (_, escape) = FilePlan.ResultTarget(destination, new UwsResult("copy", "job1", "output", "../../etc/passwd", 5, null, null));
        Assert.Equal(("UnsafeUwsJobResultPath", "SecurityError"), (escape!.ErrorId, escape.Category));
        var (_, rooted) = FilePlan.ResultTarget(destination, new UwsResult("copy", "job1", "output", "/etc/passwd", 5, null, null));
        Assert.NotNull(rooted);
        var (named, _) = FilePlan.ResultTarget(destination, new UwsResult("copy", "../job", "output", null, 5, null, null));
        Assert.Equal(Path.Combine(destination, ".._job", "output"), named);
        var (provenance, _) = FilePlan.ResultTarget(destination, new UwsResult("copy", "job1", "provn", null, 5, null, null));
        Assert.Equal(Path.Combine(destination, "job1", "provn.provn"), provenance);
    }

    [Fact]
    public void Existing_files_are_kept_unless_forced()
    {
        Assert.Null(FilePlan.Overwrite("/tmp/a", exists: false, force: false, "UwsJobResult"));
        Assert.Null(FilePlan.Overwrite("/tmp/a", exists: true, force: true, "UwsJobResult"));
        var error = FilePlan.Overwrite("/tmp/a", exists: true, force: false, "UwsJobResult")!;
        Assert.Equal(("UwsJobResultFileExists", "ResourceExists"), (error.ErrorId, error.Category));
        Assert.Contains("-Force", error.Message);
    }

    [Fact]
    public void Provenance_and_definition_files_are_named_after_their_ids()
    {
        Assert.Equal(Path.Combine("prov", "job1.provn"), FilePlan.ProvenanceTarget("prov", "job1", ProvenanceFormat.ProvN));
        Assert.Equal(Path.Combine("prov", "opus_store_ab12.json"), FilePlan.ProvenanceTarget("prov", "opus_store:ab12", ProvenanceFormat.ProvJson));
        Assert.Equal(Path.Combine("defs", "copy_vot.xml"), FilePlan.DefinitionTarget("defs", true, "copy", Core.Definitions.DefinitionFormat.VoTable));
        Assert.Equal("copy.txt", FilePlan.DefinitionTarget("copy.txt", false, "copy", Core.Definitions.DefinitionFormat.Yaml));
    }

    [Fact]
    public void WhatIf_texts_say_what_would_happen_to_what()
    {
        Assert.Equal(("job list 'copy'", "Create and start a job with text=hello, image=<m31.fits>"),
            ShouldProcessText.NewJob("copy", [new("text", "hello")], [new JobFile("image", "/data/m31.fits")], start: true));
        Assert.Equal(("job list 'sleep'", "Create a job"), ShouldProcessText.NewJob("sleep", [], [], start: false));
        Assert.Equal(("UWS job abc (copy)", "Start (PHASE=RUN)"), ShouldProcessText.StartJob("copy", "abc"));
        Assert.Equal("UWS job abc", ShouldProcessText.StopJob(null, "abc").Target);
        Assert.Contains("delete its files", ShouldProcessText.RemoveJob("copy", "abc").Action);
        Assert.Equal("Set parameters text=bonjour; set the execution duration to 30 s; set the destruction time to 2026-02-01T00:00:00.000Z",
            ShouldProcessText.SetJob("copy", "abc", new JobChanges([new("text", "bonjour")], 30, new DateTime(2026, 2, 1, 0, 0, 0, DateTimeKind.Utc))).Action);
        Assert.Equal("Import and publish the job definition", ShouldProcessText.ImportDefinition("/defs/copy.yaml", publish: true).Action);
        Assert.Contains("proposal", ShouldProcessText.ImportDefinition("/defs/copy.yaml", publish: false).Action);
        Assert.Equal(("job definition 'copy'", "Withdraw every version: no new jobs; existing jobs keep their history"), ShouldProcessText.RemoveDefinition("copy"));
        Assert.Equal(("user 'alice'", "Create with roles copy, sleep"), ShouldProcessText.NewUser(new UserRequest("alice") { Roles = ["copy", "sleep"] }));
        Assert.Equal("Set roles to admin; deactivate (its tokens stop working); clear the e-mail address",
            ShouldProcessText.SetUser("alice", new UserChanges(["admin"], false, "")).Action);
        Assert.Contains("API tokens", ShouldProcessText.RemoveUser("alice").Action);
        Assert.Equal("Create with roles copy, linked to the OIDC subject '248289761001'",
            ShouldProcessText.NewUser(new UserRequest("bob") { Roles = ["copy"], ExternalId = "248289761001" }).Action);
        Assert.Equal("Create with roles (none)", ShouldProcessText.NewUser(new UserRequest("bob") { ExternalId = "" }).Action);
        Assert.Equal("Set the externalId to '248289761001' (link the OIDC subject at its next sign-in)",
            ShouldProcessText.SetUser("bob", new UserChanges(ExternalId: "248289761001")).Action);
        Assert.Equal("Set roles to copy; clear the externalId (unlink the OIDC account)",
            ShouldProcessText.SetUser("bob", new UserChanges(["copy"], ExternalId: "")).Action);
        Assert.Equal("Issue API token 'laptop' without expiry", ShouldProcessText.NewToken("alice", "laptop", null).Action);
        Assert.Equal(("user 'alice'", "Revoke API token 'laptop'"), ShouldProcessText.RevokeToken("alice", "laptop"));
    }

    [Fact]
    public void Long_values_are_shortened_in_WhatIf_texts()
    {
        var action = ShouldProcessText.NewJob("copy", [new("text", new string('x', 100))], [], false).Action;
        Assert.EndsWith("...", action);
        Assert.True(action.Length < 80);
    }

    [Fact]
    public void Wait_progress_follows_the_timeout_or_the_quote()
    {
        var created = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var job = new UwsJob { Definition = "sleep", Id = "abc", Phase = JobPhase.EXECUTING, CreationTime = created, StartTime = created, Quote = created.AddSeconds(100) };
        var timed = ProgressText.Wait(job, TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(60), created.AddSeconds(15));
        Assert.Equal((25, 45), (timed.Percent, timed.SecondsRemaining));
        Assert.Equal("Waiting for UWS job abc (sleep)", timed.Activity);
        Assert.Equal("EXECUTING, waited 15 s, running for 15 s", timed.Status);

        var quoted = ProgressText.Wait(job, TimeSpan.FromSeconds(40), null, created.AddSeconds(40));
        Assert.Equal((40, -1), (quoted.Percent, quoted.SecondsRemaining));
        var late = ProgressText.Wait(job, TimeSpan.FromSeconds(400), null, created.AddSeconds(400));
        Assert.Equal(99, late.Percent);
        Assert.Equal(-1, ProgressText.Wait(job with { Phase = JobPhase.QUEUED, StartTime = null }, TimeSpan.FromSeconds(5), null, created).Percent);
        Assert.Equal(100, ProgressText.Wait(job with { Phase = JobPhase.COMPLETED }, TimeSpan.FromSeconds(5), null, created).Percent);
    }

    [Fact]
    public void Download_progress_is_the_share_of_the_result_size()
    {
        var result = new UwsResult("copy", "abc", "output", "output.txt", 4 * 1024 * 1024, "text/plain", null);
        var half = ProgressText.Download(result, 2 * 1024 * 1024, "/out/abc/output.txt");
        Assert.Equal(50, half.Percent);
        Assert.Equal("2 MiB of 4 MiB to /out/abc/output.txt", half.Status);
        Assert.Equal(-1, ProgressText.Download(result with { Size = null }, 10, "t").Percent);
    }

    [Fact]
    public void Completions_match_prefixes_case_insensitively_and_quote_what_needs_it()
    {
        Assert.Equal(["sleep", "spectra"], Completions.Match(["copy", "sleep", "spectra"], "S"));
        Assert.Equal(["'my job'", "'o''brien'"], Completions.Match(["my job", "o'brien"], ""));
        Assert.Equal(["ERROR", "EXECUTING"], Completions.Phases("e"));
        Assert.Equal(10, Completions.Phases(null).Count);
    }

    private sealed record Wrapper(object Value);
}
