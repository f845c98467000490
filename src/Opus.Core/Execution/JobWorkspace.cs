using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Opus.Core.Definitions;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Store;

namespace Opus.Core.Execution;

/// <summary>
/// The job directory data/jobs/&lt;id&gt;/: runner.sh, script.sh, job.env and parameters.json
/// (written here, by C#; no value is ever spliced into script text), then events, logs and work/.
/// </summary>
public sealed class JobWorkspace(OpusOptions options, EntityStore store)
{
    private static readonly Lazy<string> RunnerScript = new(() =>
    {
        using var stream = typeof(JobWorkspace).Assembly.GetManifestResourceStream("Opus.Core.Execution.runner.sh")
            ?? throw new InvalidOperationException("runner.sh is not embedded");
        return new StreamReader(stream).ReadToEnd();
    });

    public string DirectoryOf(string jobId) => Path.Combine(options.JobsPath, jobId);

    public string RunnerPath(string jobId) => Path.Combine(DirectoryOf(jobId), "runner.sh");

    public string EventsPath(string jobId) => Path.Combine(DirectoryOf(jobId), "events");

    public string StdoutPath(string jobId) => Path.Combine(DirectoryOf(jobId), "stdout.log");

    public string StderrPath(string jobId) => Path.Combine(DirectoryOf(jobId), "stderr.log");

    public string WorkPath(string jobId) => Path.Combine(DirectoryOf(jobId), "work");

    /// <summary>The progress file the runner names in $OPUS_PROGRESS_FILE (opus_progress writes it).</summary>
    public string ProgressPath(string jobId) => Path.Combine(DirectoryOf(jobId), "progress");

    public const string InputsFolder = "inputs";

    public string InputsPath(string jobId) => Path.Combine(DirectoryOf(jobId), InputsFolder);

    /// <summary>
    /// Writes everything the runner needs; the callback token is kept only here (the database holds its hash). The files
    /// are small: written synchronously, without a thread-pool hop each.
    /// </summary>
    public void Prepare(Job job, JobDefinition definition, string callbackToken)
    {
        var dir = DirectoryOf(job.Id);
        PrivateFiles.CreateFolder(dir);
        PrivateFiles.CreateFolder(WorkPath(job.Id));
        // A rerun after a restart starts from a clean slate.
        File.Delete(EventsPath(job.Id));

        File.WriteAllText(RunnerPath(job.Id), RunnerScript.Value);
        File.WriteAllText(Path.Combine(dir, "script.sh"), definition.Script);

        var header = Path.Combine(dir, "callback.header");
        File.WriteAllText(header, $"Authorization: Bearer {callbackToken}\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(header, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var environment = new List<KeyValuePair<string, string>>
        {
            new("OPUS_JOB_ID", job.Id),
            new("OPUS_JOB_DIR", dir),
            new("OPUS_DEFINITION", job.Definition),
        };
        // Without network the callback cannot reach the server: the events file alone reports (read when the runner ends).
        var noNetwork = definition.Resources?.Network == JobResources.NoNetwork;
        var marker = Path.Combine(dir, JobSandbox.NoNetworkMarker);
        if (noNetwork)
            File.WriteAllText(marker, "");
        else
            File.Delete(marker);
        if (!string.IsNullOrEmpty(options.CallbackUrl) && !(noNetwork && options.Local.IsSandboxed))
            environment.Add(new("OPUS_CALLBACK_URL", options.CallbackUrl));

        // Declared parameters with their defaults, then what the job was given.
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in definition.Parameters.Where(p => p.Default is not null))
            values[p.Name] = p.Default!;
        foreach (var p in job.Parameters.Where(p => !p.ByReference))
            values[p.Name] = p.Value;
        // Inputs: stored files are copied in (unsandboxed, a script may write to its inputs; the store must not change),
        // and the variable holds the path, or the paths separated by spaces (file names are made safe for that).
        var files = InputFiles(job).ToDictionary(f => (f.Input.Name, f.Input.Index), f => f.Path);
        foreach (var group in job.Inputs.GroupBy(i => i.Name))
        {
            var items = new List<string>();
            foreach (var input in group)
            {
                if (!files.TryGetValue((input.Name, input.Index), out var path))
                {
                    items.Add(input.Value);
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.Copy(store.PathOf(input.Sha256!), path, overwrite: true);
                File.SetAttributes(path, FileAttributes.Normal);
                items.Add(path);
            }

            values[group.Key] = string.Join(' ', items);
        }

        foreach (var generated in definition.Generated)
            values.TryAdd(generated.Name, generated.File);
        environment.AddRange(values);

        var env = new StringBuilder();
        foreach (var (name, value) in environment)
            env.Append(name).Append('=').Append(value).Append('\0');
        File.WriteAllText(Path.Combine(dir, "job.env"), env.ToString());
        File.WriteAllText(Path.Combine(dir, "parameters.json"), JsonSerializer.Serialize(values));
    }

    /// <summary>The job's stored inputs and where their copies go: inputs/NAME/FILE, or inputs/NAME/INDEX_FILE when NAME has several.</summary>
    public IEnumerable<(JobInput Input, string Path)> InputFiles(Job job) =>
        job.Inputs.GroupBy(i => i.Name).SelectMany(group => group.Where(i => i.Kind == JobInputKind.File).Select(input => (input,
            Path.Combine(InputsPath(job.Id), input.Name, group.Count() == 1 ? input.FileName! : $"{input.Index}_{input.FileName}"))));

    public static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public void Delete(string jobId)
    {
        var dir = DirectoryOf(jobId);
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
    }

    /// <summary>
    /// A job's text for a user (its error summary, its stderr) with the server's paths made relative to
    /// the folder the script runs in (work/): its files by name, the job's folder "..", the data folder "DATA".
    /// </summary>
    public string WithoutServerPaths(string jobId, string text)
    {
        var dir = DirectoryOf(jobId);
        return text
            .Replace(WorkPath(jobId) + Path.DirectorySeparatorChar, "", StringComparison.Ordinal)
            .Replace(dir, "..", StringComparison.Ordinal)
            .Replace(options.FullDataPath, "DATA", StringComparison.Ordinal);
    }

    /// <summary>
    /// What a failed job's error summary adds to its exit status: that the server's disk is full, when
    /// it is (the likely cause, whatever the script printed, if it could print at all), then its stderr's tail.
    /// </summary>
    public string? FailureDetail(string jobId)
    {
        var tail = StderrTail(jobId);
        if (!StorageErrors.IsNearlyFull(options.FullDataPath))
            return tail;
        return tail is null ? StorageErrors.DiskFullMessage : $"{StorageErrors.DiskFullMessage}: {tail}";
    }

    /// <summary>The last lines of the job's stderr (server paths made relative), for the error summary.</summary>
    public string? StderrTail(string jobId, int maxLines = 5, int maxChars = 1000)
    {
        var path = StderrPath(jobId);
        if (!File.Exists(path))
            return null;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var start = Math.Max(0, stream.Length - 8192);
        stream.Seek(start, SeekOrigin.Begin);
        var text = new StreamReader(stream).ReadToEnd();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var tail = WithoutServerPaths(jobId, string.Join(" | ", lines.TakeLast(maxLines)));
        return tail.Length == 0 ? null : tail.Length > maxChars ? tail[^maxChars..] : tail;
    }
}
