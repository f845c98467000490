using System.Text;
using Opus.Server.Tests.Infrastructure;

namespace Opus.Server.Tests.Execution;

/// <summary>A job sees the variables Opus gives it, never the server's own environment (secrets, connection strings).</summary>
public sealed class JobEnvironmentTests
{
    // A test definition: the script writes its whole environment (NUL-separated) as a result.
    private const string EnvDefinition = """
        name: env
        version: "1.0"
        description: Write the job's environment.
        executionDuration: 60
        parameters:
          - name: greeting
            type: xs:string
            default: hello
        generated:
          - name: environment
            file: env.txt
            contentType: application/octet-stream
        script: |
          env -0 > env.txt
        """;

    // What a bash script sees beyond what Opus sets: variables bash itself maintains.
    private static readonly HashSet<string> ShellOwn = ["PWD", "OLDPWD", "SHLVL", "_"];

    [Fact]
    public async Task The_job_environment_holds_none_of_the_servers_variables()
    {
        var definitions = Directory.CreateTempSubdirectory("opus-definitions-").FullName;
        var secret = $"secret-{Guid.NewGuid():N}";
        try
        {
            await File.WriteAllTextAsync(Path.Combine(definitions, "env.yaml"), EnvDefinition);
            await using var server = await OpusServer.StartAsync(
                new Dictionary<string, string> { ["Opus:DefinitionsPath"] = definitions },
                environment: new Dictionary<string, string> { ["OPUS_TEST_SERVER_SECRET"] = secret, ["ConnectionStrings__Opus"] = secret });
            var client = server.Client;

            var job = await client.CreateJobAsync("env", ("greeting", "hi there"), ("PHASE", "RUN"));
            var done = await client.WaitForEndAsync(job, Eventually.Bound);
            Assert.True(done.Phase() == "COMPLETED", $"{done.Phase()} {done.ErrorMessage()}");

            var variables = Encoding.UTF8.GetString(await client.GetResultBytesAsync(job, "environment"))
                .Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Select(entry => entry.Split('=', 2))
                .ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "");

            // What Opus sets is there.
            Assert.Equal(JobSteps.JobId(job), variables.GetValueOrDefault("OPUS_JOB_ID"));
            Assert.Equal("hi there", variables.GetValueOrDefault("greeting"));
            Assert.Equal("env.txt", variables.GetValueOrDefault("environment"));

            // Nothing of the server's: the extra variables, the harness's, and everything the server inherited from this process.
            Assert.DoesNotContain(variables, v => v.Value.Contains(secret, StringComparison.Ordinal));
            string[] serverOnly = ["OPUS_TEST_SERVER_SECRET", "ConnectionStrings__Opus", "DOTNET_NOLOGO", "ASPNETCORE_ENVIRONMENT"];
            foreach (var name in serverOnly)
                Assert.False(variables.ContainsKey(name), $"the job sees the server's {name}");
            var inherited = Environment.GetEnvironmentVariables().Keys.Cast<object>().Select(k => (string)k)
                .Where(name => name is not ("PATH" or "LANG" or "HOME" or "TMPDIR") && !ShellOwn.Contains(name))
                .Where(variables.ContainsKey)
                .ToList();
            Assert.True(inherited.Count == 0, $"the job sees the server's {string.Join(", ", inherited)}");
        }
        finally
        {
            Directory.Delete(definitions, recursive: true);
        }
    }
}
