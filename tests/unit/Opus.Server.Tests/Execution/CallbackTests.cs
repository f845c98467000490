using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>/handler/job_event accepts a report only with the job's own token from its directory.</summary>
public sealed class CallbackTests
{
    [Fact]
    public async Task Only_the_jobs_own_token_changes_the_job()
    {
        await using var server = await OpusServer.StartAsync(new Dictionary<string, string>
        {
            ["Opus:MaxConcurrentJobs"] = "2",
            ["Opus:KillGraceSeconds"] = "1",
        });
        var client = server.Client;
        // Both must still be EXECUTING at every step below: far longer sleeps than the test, which ends them.
        var target = await client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var other = await client.CreateJobAsync("sleep", ("seconds", "3600"), ("PHASE", "RUN"));
        var targetId = JobSteps.JobId(target);
        try
        {
            await client.WaitForPhaseAsync(target, "EXECUTING", Eventually.Bound);
            await client.WaitForPhaseAsync(other, "EXECUTING", Eventually.Bound);
            var token = ReadToken(server, target);
            var otherToken = ReadToken(server, other);
            Assert.NotEqual(token, otherToken);

            var forged = $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} COMPLETED 0";
            AuthenticationHeaderValue?[] wrong =
            [
                null,
                new("Bearer", ""),
                new("Bearer", "0000" + token[4..]),
                new("Bearer", otherToken),
                new("Basic", token),
                new("Bearer", token.ToUpperInvariant()),
                new("Bearer", token + "0"),
            ];
            foreach (var authorization in wrong)
            {
                using var response = await PostEventAsync(client, targetId, forged, authorization);
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{authorization}: {(int)response.StatusCode}");
                Assert.Equal("EXECUTING", (await client.GetXmlAsync(target)).Phase());
            }

            // A token is good for its own job only, whatever job the form names.
            using (var crossed = await PostEventAsync(client, JobSteps.JobId(other), forged, new("Bearer", token)))
                Assert.Equal(HttpStatusCode.Forbidden, crossed.StatusCode);
            Assert.Equal("EXECUTING", (await client.GetXmlAsync(other)).Phase());

            // An unknown job is refused the same way (no hint whether it exists).
            using (var unknown = await PostEventAsync(client, "nosuchjob", forged, new("Bearer", token)))
                Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);

            // The right token is accepted and applied.
            var report = $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)} ERROR 7";
            using (var accepted = await PostEventAsync(client, targetId, report, new("Bearer", token)))
                Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
            // Answered once the job is claimed; its end is written when its results are collected.
            var job = await client.WaitForEndAsync(target, TimeSpan.FromSeconds(60));
            Assert.Equal("ERROR", job.Phase());
            Assert.Contains("status 7", job.ErrorMessage());

            await client.AbortAsync(other);
        }
        finally
        {
            JobProcesses.Kill(targetId, server.JobDirectory(target));
            JobProcesses.Kill(JobSteps.JobId(other), server.JobDirectory(other));
        }
    }

    private static string ReadToken(OpusServer server, string jobPath)
    {
        const string prefix = "Authorization: Bearer ";
        var header = File.ReadAllText(Path.Combine(server.JobDirectory(jobPath), "callback.header")).Trim();
        Assert.StartsWith(prefix, header);
        var token = header[prefix.Length..];
        Assert.True(token.Length >= 32, "the callback token is too short");
        return token;
    }

    private static async Task<HttpResponseMessage> PostEventAsync(HttpClient client, string jobId, string report, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/handler/job_event")
        {
            Content = new FormUrlEncodedContent([new("job", jobId), new("event", report)]),
        };
        request.Headers.Authorization = authorization;
        return await client.SendAsync(request);
    }
}
