using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Opus.Core.Provenance;

/// <summary>A drawing could not be made: Graphviz is missing, failed, or took too long. The message says which, for the user.</summary>
public sealed class ProvenanceRenderException(string message, Exception? inner = null, bool toolMissing = false) : Exception(message, inner)
{
    /// <summary>Graphviz is not installed (a 503: the server cannot draw at all), rather than a drawing that failed.</summary>
    public bool ToolMissing { get; } = toolMissing;
}

/// <summary>Runs Graphviz <c>dot</c> (Debian package graphviz) over a DOT text: stdin in, the drawing out, bounded in time.</summary>
public sealed class GraphvizRenderer(OpusOptions options)
{
    // Looked up again at most this often: every job document asks (it lists provsvg only with Graphviz), and the
    // look-up (PATH split, a stat per folder) was a tenth of a GET's cost. Installing Graphviz shows within this.
    private static readonly TimeSpan AvailabilityLifetime = TimeSpan.FromSeconds(10);
    private Availability? _availability;

    // A reference, swapped whole: readers on other threads never see half an update.
    private sealed record Availability(bool Available, long CheckedAt);

    /// <summary>
    /// Whether Opus:Provenance:DotPath names a program that exists (a path, or a name found on PATH), as found at
    /// most 10 s ago. Without it a job lists no provsvg and PROV-SVG/PNG answer 503.
    /// </summary>
    public bool IsAvailable
    {
        get
        {
            if (_availability is { } known && Stopwatch.GetElapsedTime(known.CheckedAt) < AvailabilityLifetime)
                return known.Available;
            var available = Find(options.Provenance.DotPath);
            _availability = new Availability(available, Stopwatch.GetTimestamp());
            return available;
        }
    }

    private static bool Find(string? dot)
    {
        if (string.IsNullOrWhiteSpace(dot))
            return false;
        if (dot.Contains(Path.DirectorySeparatorChar) || dot.Contains(Path.AltDirectorySeparatorChar))
            return File.Exists(dot);
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, dot)));
    }

    /// <summary>What a PROV-SVG or PROV-PNG request is told without Graphviz; names the tool, not the server's path to it.</summary>
    public static string MissingMessage(string format) =>
        $"PROV-{format.ToUpperInvariant()} needs Graphviz (its dot program), which is not installed on this server; "
        + "ask for RESPONSEFORMAT=PROV-JSON, PROV-XML or PROV-N instead";

    /// <param name="format">dot's output format: "svg" or "png".</param>
    public async Task<byte[]> RenderAsync(string dot, string format, CancellationToken cancellationToken = default)
    {
        var settings = options.Provenance;
        if (!IsAvailable)
            throw new ProvenanceRenderException(MissingMessage(format), toolMissing: true);
        var start = new ProcessStartInfo(settings.DotPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add($"-T{format}");

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ProvenanceRenderException("Graphviz dot did not start");
        }
        catch (Win32Exception e)
        {
            throw new ProvenanceRenderException(MissingMessage(format), e, toolMissing: true);
        }

        using (process)
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(settings.DotTimeout);
            try
            {
                // Read while writing: a large drawing would otherwise fill the pipe and stall both sides.
                var output = new MemoryStream();
                var reading = process.StandardOutput.BaseStream.CopyToAsync(output, timeout.Token);
                var errors = process.StandardError.ReadToEndAsync(timeout.Token);
                await process.StandardInput.WriteAsync(dot.AsMemory(), timeout.Token);
                process.StandardInput.Close();
                await reading;
                var stderr = await errors;
                await process.WaitForExitAsync(timeout.Token);
                if (process.ExitCode != 0)
                    throw new ProvenanceRenderException($"Graphviz dot failed (exit {process.ExitCode}): {stderr.Trim().ReplaceLineEndings(" ")}");
                return output.ToArray();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Kill(process);
                throw new ProvenanceRenderException($"Graphviz dot did not finish within {settings.DotTimeout.TotalSeconds:0} s; ask for a smaller DEPTH or a text format");
            }
            catch (IOException e)
            {
                // dot stopped reading (it failed early): its exit is the story.
                Kill(process);
                throw new ProvenanceRenderException($"Graphviz dot failed: {e.Message}", e);
            }
            catch
            {
                Kill(process);
                throw;
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }
}
