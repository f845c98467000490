using System.Buffers;
using System.Collections.Concurrent;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Opus.Core.Definitions;
using Opus.Core.Jobs;

namespace Opus.Core.Execution;

/// <summary>
/// Staging over HTTP (Opus:Slurm:Staging=http): the node shares no folder with the server. The batch script
/// (staged-batch.sh) fetches the job's bundle from <c>GET /jobs/{id}/bundle</c>, runs the ordinary runner in a
/// node-local scratch folder, and sends each result, stdout and stderr back with <c>PUT /jobs/{id}/files/{name}</c>
/// into the job's folder on the server before it reports the end, so the end is collected as a local job's is.
/// </summary>
public sealed class HttpStaging(OpusOptions options, JobWorkspace workspace, DefinitionCatalog catalog)
{
    /// <summary>The header that carries an upload's SHA-256 (64 hex digits): checked on arrival.</summary>
    public const string Sha256Header = "X-Opus-Sha256";

    /// <summary>
    /// <see cref="Sha256Header"/>'s value for a file whose SHA-256 follows (the node hashes while it sends): the
    /// server keeps what arrives aside, with its own hash, until a POST with the upload's id brings the same.
    /// </summary>
    public const string Sha256Follows = "pending";

    /// <summary>The header of that POST naming the upload kept aside (the PUT's answer).</summary>
    public const string UploadHeader = "X-Opus-Upload";

    /// <summary>The bundle's last member: every other member with its SHA-256, in sha256sum's format.</summary>
    public const string ManifestName = "bundle.sha256";

    /// <summary>The definition's result names and globs, NUL-separated: what the node sends back.</summary>
    public const string ResultListName = "results.list";

    // Exit codes of staged-batch.sh that SLURM records, and what they mean.
    private const string CannotMakeScratch = "201";
    private const string CannotFetch = "202";
    private const string BundleDamaged = "203";
    private const string CannotSend = "204";

    /// <summary>The files of the job's folder a node may send, besides work/PATH.</summary>
    private static readonly string[] JobFiles = ["stdout.log", "stderr.log", "runner.log", "events"];

    // An upload whose SHA-256 follows, in the job's folder: .pending-ID-SHA256 (the server's hash of what arrived).
    private const string PendingPrefix = ".pending-";

    /// <summary>Per job: the files this server stored from a node, with the SHA-256 it computed as they arrived.</summary>
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, ReceivedFile>> _received = new(StringComparer.Ordinal);

    private sealed record ReceivedFile(string Sha256, long Size, DateTime WrittenAt);

    private static readonly Lazy<string> BatchTemplate = new(() =>
    {
        using var stream = typeof(HttpStaging).Assembly.GetManifestResourceStream("Opus.Core.Execution.staged-batch.sh")
            ?? throw new InvalidOperationException("staged-batch.sh is not embedded");
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>Where nodes reach the server: the callback address without its /handler/job_event.</summary>
    public string ServerUrl
    {
        get
        {
            var callback = options.CallbackUrl;
            if (string.IsNullOrEmpty(callback))
                throw new InvalidOperationException("Opus:CallbackUrl is not set: nodes cannot reach the server to fetch the job's files");
            const string suffix = "/handler/job_event";
            return callback.EndsWith(suffix, StringComparison.Ordinal)
                ? callback[..^suffix.Length]
                : new Uri(callback).GetLeftPart(UriPartial.Authority);
        }
    }

    /// <summary>The folder sbatch gives as the job's working directory: one that exists on every node.</summary>
    public string NodeFolder => string.IsNullOrEmpty(options.Slurm.Scratch) ? "/tmp" : options.Slurm.Scratch;

    /// <summary>
    /// The job's batch script, given to sbatch on its standard input (never a file in the job folder). It holds the
    /// job's token, as the job's folder does; only the server's own values are written into it, single-quoted.
    /// </summary>
    public async Task<string> BatchScriptAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var header = await File.ReadAllTextAsync(Path.Combine(workspace.DirectoryOf(jobId), "callback.header"), cancellationToken);
        var token = header.Trim()["Authorization: Bearer ".Length..];
        var settings = new StringBuilder()
            .Append("opus_job=").Append(SlurmSubmission.ShellQuote(jobId)).Append('\n')
            .Append("opus_base=").Append(SlurmSubmission.ShellQuote(ServerUrl)).Append('\n')
            .Append("opus_callback=").Append(SlurmSubmission.ShellQuote(options.CallbackUrl!)).Append('\n')
            .Append("opus_scratch=").Append(SlurmSubmission.ShellQuote(options.Slurm.Scratch ?? "")).Append('\n')
            .Append("opus_token=").Append(SlurmSubmission.ShellQuote(token));
        return BatchTemplate.Value.Replace("#OPUS_SETTINGS#", settings.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// Why a staged job that SLURM says FAILED, with no report from its runner, failed: its batch script's exit
    /// code names the staging step; null for any other end.
    /// </summary>
    public string? DescribeFailure(SlurmJobState state)
    {
        if (state.State != "FAILED" || state.ExitCode?.Split(':') is not [var code, "0"])
            return null;
        return code switch
        {
            CannotMakeScratch => "the compute node could not make the job's scratch folder" + (string.IsNullOrEmpty(options.Slurm.Scratch) ? "" : $" under {options.Slurm.Scratch}"),
            CannotFetch => $"the compute node could not reach the server at {ServerUrl} to fetch the job's files {ReachHint}",
            BundleDamaged => "the job's files arrived damaged on the compute node (SHA-256 check failed three times)",
            CannotSend => $"the compute node could not send the job's results back to the server at {ServerUrl} {ReachHint}",
            _ => null,
        };
    }

    private const string ReachHint = "(the nodes must reach Opus:PublicUrl, or Opus:CallbackUrl when it is set)";

    /// <summary>
    /// The job-folder path a node's upload goes to, from the name in its URL (the file's path in the job's folder:
    /// stdout.log, stderr.log, runner.log, events, or work/PATH). Anything that could leave work/ is refused.
    /// </summary>
    public string TargetOf(string jobId, string name)
    {
        if (JobFiles.Contains(name, StringComparer.Ordinal))
            return Path.Combine(workspace.DirectoryOf(jobId), name);
        if (!name.StartsWith("work/", StringComparison.Ordinal))
            throw new OpusValidationException($"'{Shown(name)}' is not a file a job may send: stdout.log, stderr.log, runner.log, events or work/PATH");
        var segments = name["work/".Length..].Split('/');
        if (name.Length > 1024 || segments.Any(s => s is "" or "." or ".." || s.Length > 255 || s.Any(c => char.IsControl(c) || c == '\\')))
            throw new OpusValidationException($"'{Shown(name)}' is not a plain relative path under work/");
        var work = Path.GetFullPath(workspace.WorkPath(jobId)) + Path.DirectorySeparatorChar;
        var target = Path.GetFullPath(Path.Combine(work, Path.Combine(segments)));
        if (!target.StartsWith(work, StringComparison.Ordinal))
            throw new OpusValidationException($"'{Shown(name)}' is not a plain relative path under work/");
        return target;
    }

    private static string Shown(string name)
    {
        var clean = new string(name.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return clean.Length > 200 ? clean[..200] + "..." : clean;
    }

    /// <summary>The node's folder for the job, as its batch script names it: absolute, plain.</summary>
    public static string CheckRoot(string? root)
    {
        if (string.IsNullOrEmpty(root))
            throw new OpusValidationException("root is missing: the job's folder on the node");
        if (!root.StartsWith('/') || root.Length > 1024 || root.Any(char.IsControl) || root.Split('/').Any(s => s is "." or ".."))
            throw new OpusValidationException("root: not an absolute folder path");
        return root.TrimEnd('/');
    }

    /// <summary>
    /// Streams the job's bundle as a tar archive: runner.sh, script.sh, job.env (its paths made the node's, no
    /// callback address: the batch script reports), parameters.json, the inputs, results.list, and last the
    /// SHA-256 of each, hashed while it is sent. Nothing is held in memory but one buffer.
    /// </summary>
    public async Task WriteBundleAsync(Job job, string root, Stream output, CancellationToken cancellationToken = default)
    {
        var dir = workspace.DirectoryOf(job.Id);
        var definition = await catalog.GetVersionAsync(job.Definition, job.DefinitionVersion, cancellationToken);
        var manifest = new StringBuilder();
        await using var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);

        async Task AddAsync(string name, Stream data, string? knownSha256 = null)
        {
            // A stored input's SHA-256 is known (the store names it so): the node checks the bytes against it, and
            // the server need not hash them again; anything else is hashed as it is sent.
            using var hash = knownSha256 is null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
            await using var source = hash is null ? data : new HashingStream(data, hash);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = source, Mode = PrivateFiles.File, ModificationTime = DateTimeOffset.UtcNow };
            await tar.WriteEntryAsync(entry, cancellationToken);
            AppendManifestLine(manifest, knownSha256 ?? Convert.ToHexStringLower(hash!.GetCurrentHash()), name);
        }

        foreach (var name in new[] { "runner.sh", "script.sh", "parameters.json" })
            await AddAsync(name, OpenSequential(Path.Combine(dir, name)));
        await AddAsync("job.env", new MemoryStream(NodeEnvironment(job, dir, root)));
        var inputs = workspace.InputsPath(job.Id);
        if (Directory.Exists(inputs))
        {
            var stored = workspace.InputFiles(job).ToDictionary(f => f.Path, f => f.Input.Sha256?.ToLowerInvariant(), StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(inputs, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                await AddAsync(Path.GetRelativePath(dir, file).Replace(Path.DirectorySeparatorChar, '/'), OpenSequential(file),
                    stored.GetValueOrDefault(file));
            }
        }

        var patterns = string.Concat(definition.Generated.Select(g => g.File + "\0"));
        await AddAsync(ResultListName, new MemoryStream(Encoding.UTF8.GetBytes(patterns)));
        var last = new PaxTarEntry(TarEntryType.RegularFile, ManifestName)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest.ToString())),
            Mode = PrivateFiles.File,
            ModificationTime = DateTimeOffset.UtcNow,
        };
        await tar.WriteEntryAsync(last, cancellationToken);
    }

    private static FileStream OpenSequential(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);

    /// <summary>job.env as the node needs it: the job folder and the file inputs' paths under <paramref name="root"/>.</summary>
    private static byte[] NodeEnvironment(Job job, string serverDirectory, string root)
    {
        var fileInputs = job.Inputs.Where(i => i.Kind == JobInputKind.File).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var text = File.ReadAllText(Path.Combine(serverDirectory, "job.env"));
        var env = new StringBuilder();
        foreach (var assignment in text.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = assignment[..Math.Max(0, assignment.IndexOf('='))];
            var value = assignment[(name.Length + 1)..];
            if (name == "OPUS_CALLBACK_URL")
                continue;
            if (name == "OPUS_JOB_DIR")
                value = root;
            else if (fileInputs.Contains(name))
                value = value.Replace(serverDirectory + "/", root + "/", StringComparison.Ordinal);
            env.Append(name).Append('=').Append(value).Append('\0');
        }

        return Encoding.UTF8.GetBytes(env.ToString());
    }

    /// <summary>One line of sha256sum's format; a name with a backslash or a newline is escaped as sha256sum does.</summary>
    private static void AppendManifestLine(StringBuilder manifest, string sha256, string name)
    {
        if (name.Contains('\\') || name.Contains('\n'))
            manifest.Append('\\').Append(sha256).Append("  ").Append(name.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
        else
            manifest.Append(sha256).Append("  ").Append(name).Append('\n');
    }

    /// <summary>
    /// Receives one file from a node: streamed to a temporary file in the job's folder while hashed and counted,
    /// then moved into place only when its SHA-256 is the one announced and the job may still change. When the
    /// SHA-256 follows (<see cref="Sha256Follows"/>) the file is kept aside instead, and the upload's id returned
    /// for <see cref="ConfirmAsync"/>.
    /// </summary>
    public async Task<string?> ReceiveAsync(string jobId, string name, string? announcedSha256, long? length, Stream body,
        Func<CancellationToken, Task<bool>> stillActive, CancellationToken cancellationToken = default)
    {
        var target = TargetOf(jobId, name);
        var follows = announcedSha256 == Sha256Follows;
        if (!follows && !IsSha256(announcedSha256))
            throw new OpusValidationException($"{Sha256Header}: expected the file's SHA-256 as 64 hexadecimal digits, or '{Sha256Follows}' when it follows");
        var limit = options.Inputs.MaxBytes;
        if (length > limit)
            throw new OpusTooLargeException($"the file is larger than the limit of {limit} bytes (Opus:Inputs:MaxBytes)");

        var temporary = Path.Combine(workspace.DirectoryOf(jobId), $".upload-{Guid.NewGuid():N}");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            // Read, hashed and written 1 MiB at a time (fewer, larger writes than the network's packets).
            var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
            try
            {
                await using var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, useAsync: true);
                long total = 0;
                int read;
                while ((read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
                {
                    total += read;
                    if (total > limit)
                        throw new OpusTooLargeException($"the file is larger than the limit of {limit} bytes (Opus:Inputs:MaxBytes)");
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            var actual = Convert.ToHexStringLower(hash.GetCurrentHash());
            if (follows)
            {
                var upload = Guid.NewGuid().ToString("N");
                File.Move(temporary, Path.Combine(workspace.DirectoryOf(jobId), $"{PendingPrefix}{upload}-{actual}"));
                return upload;
            }

            if (!actual.Equals(announcedSha256, StringComparison.OrdinalIgnoreCase))
                throw new OpusValidationException($"the file's SHA-256 is {actual}, not the {announcedSha256!.ToLowerInvariant()} of {Sha256Header}; send it again");
            await PlaceAsync(jobId, name, target, temporary, actual, stillActive, cancellationToken);
            return null;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>
    /// The SHA-256 of an upload kept aside, from the node: the file goes into place when it is the server's hash of
    /// what arrived; otherwise it is dropped (the node sends it again).
    /// </summary>
    public async Task ConfirmAsync(string jobId, string name, string? upload, string? announcedSha256,
        Func<CancellationToken, Task<bool>> stillActive, CancellationToken cancellationToken = default)
    {
        var target = TargetOf(jobId, name);
        if (upload is not { Length: 32 } || !upload.All(char.IsAsciiHexDigitLower))
            throw new OpusValidationException($"{UploadHeader}: expected the id the PUT of the file answered");
        if (!IsSha256(announcedSha256))
            throw new OpusValidationException($"{Sha256Header}: expected the file's SHA-256 as 64 hexadecimal digits");
        var held = Directory.EnumerateFiles(workspace.DirectoryOf(jobId), $"{PendingPrefix}{upload}-*").FirstOrDefault()
            ?? throw new OpusNotFoundException($"no upload {upload} waits for its SHA-256: send the file again");
        try
        {
            var actual = Path.GetFileName(held)[^64..];
            if (!actual.Equals(announcedSha256, StringComparison.OrdinalIgnoreCase))
                throw new OpusValidationException($"the file's SHA-256 on arrival was {actual}, not the {announcedSha256!.ToLowerInvariant()} of {Sha256Header}; send it again");
            await PlaceAsync(jobId, name, target, held, actual, stillActive, cancellationToken);
        }
        finally
        {
            File.Delete(held);
        }
    }

    private static bool IsSha256(string? text) => text is { Length: 64 } && text.All(char.IsAsciiHexDigit);

    /// <summary>Moves a received file whose SHA-256 is checked to its place in the job's folder, and remembers its hash.</summary>
    private async Task PlaceAsync(string jobId, string name, string target, string received, string sha256,
        Func<CancellationToken, Task<bool>> stillActive, CancellationToken cancellationToken)
    {
        // The job may have ended while the file arrived: then its folder must not change any more.
        if (!await stillActive(cancellationToken))
            throw new OpusConflictException("the job has ended: its files can no longer change");
        if (Directory.Exists(target))
            throw new OpusConflictException($"'{Shown(name)}' is a folder of the job");
        // Size and time of the file hashed (a move keeps both): a later file at the same path is not taken for it.
        var info = new FileInfo(received);
        var file = new ReceivedFile(sha256.ToLowerInvariant(), info.Length, info.LastWriteTimeUtc);
        try
        {
            PrivateFiles.CreateFolder(Path.GetDirectoryName(target)!);
            File.Move(received, target, overwrite: true);
        }
        catch (IOException e) when (!Storage.StorageErrors.IsDiskFull(e))
        {
            // A folder of the path is a file the job sent before.
            throw new OpusConflictException($"'{Shown(name)}' cannot be stored: a part of its path is a file of the job");
        }

        _received.GetOrAdd(jobId, _ => new(StringComparer.Ordinal))[Path.GetFullPath(target)] = file;
    }

    /// <summary>
    /// The SHA-256 this server computed when a node sent the file now at <paramref name="path"/>, so that collecting
    /// the job's results need not read it again; null when unknown or changed since. Only for jobs staged over HTTP:
    /// no process but this server writes into their folders.
    /// </summary>
    public (string Sha256, long Size)? ReceivedSha256(Job job, string path)
    {
        if (job.Manager != SlurmManager.ManagerName || !options.Slurm.IsHttpStaging
            || !_received.TryGetValue(job.Id, out var files) || !files.TryGetValue(Path.GetFullPath(path), out var file))
            return null;
        var info = new FileInfo(path);
        return info.Exists && info.Length == file.Size && info.LastWriteTimeUtc == file.WrittenAt ? (file.Sha256, file.Size) : null;
    }

    /// <summary>Drops what <see cref="ReceivedSha256"/> knows of the job (its results are collected).</summary>
    public void ForgetReceived(string jobId) => _received.TryRemove(jobId, out _);

    /// <summary>A read-only view of a stream that hashes what is read; seekable as its source is, so tar knows the size first.</summary>
    private sealed class HashingStream(Stream source, IncrementalHash hash) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => source.CanSeek;

        public override bool CanWrite => false;

        public override long Length => source.Length;

        public override long Position
        {
            get => source.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = source.Read(buffer, offset, count);
            hash.AppendData(buffer, offset, read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await source.ReadAsync(buffer, cancellationToken);
            hash.AppendData(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                source.Dispose();
            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await source.DisposeAsync();
            await base.DisposeAsync();
        }
    }
}
