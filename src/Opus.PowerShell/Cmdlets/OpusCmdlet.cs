using System.Management.Automation;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// What every Opus cmdlet shares: Core's async calls run off the pipeline thread while
/// the pipeline thread waits (and writes progress), Ctrl+C cancelling them through StopProcessing,
/// and <see cref="OpusError"/>s written as ErrorRecords.
/// </summary>
public abstract class OpusCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Ctrl+C: cancels the call in progress.</summary>
    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Releases the cancellation source.</summary>
    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Runs Core's call off the pipeline thread and waits for it here, calling <paramref name="tick"/> every 200 ms.</summary>
    private protected T Run<T>(Func<CancellationToken, Task<T>> call, Action? tick = null)
    {
        var task = Task.Run(() => call(_stopping.Token), _stopping.Token);
        while (!task.IsCompleted)
        {
            Task.WaitAny([task], 200);
            if (!task.IsCompleted)
                tick?.Invoke();
        }

        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
    }

    private protected void Run(Func<CancellationToken, Task> call, Action? tick = null) =>
        Run<bool>(async ct =>
        {
            await call(ct);
            return true;
        }, tick);

    /// <summary>Like <see cref="Run{T}"/>, but a failure is written as a non-terminating error; false then.</summary>
    private protected bool TryRun<T>(Func<CancellationToken, Task<T>> call, string subject, object? target, out T result, Action? tick = null)
    {
        try
        {
            result = Run(call, tick);
            return true;
        }
        catch (Exception e) when (e is not PipelineStoppedException and not PipelineClosedException)
        {
            WriteError(Record(OpusError.From(e, subject), e, target));
            result = default!;
            return false;
        }
    }

    private protected bool TryRun(Func<CancellationToken, Task> call, string subject, object? target, Action? tick = null) =>
        TryRun<bool>(async ct =>
        {
            await call(ct);
            return true;
        }, subject, target, out _, tick);

    private protected void WriteError(OpusError error, object? target) =>
        WriteError(Record(error, new ArgumentException(error.Message), target));

    private protected void WriteProgress(int activityId, ProgressText text, bool completed = false)
    {
        var record = new ProgressRecord(activityId, text.Activity, text.Status)
        {
            PercentComplete = text.Percent,
            SecondsRemaining = text.SecondsRemaining,
            RecordType = completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        };
        WriteProgress(record);
    }

    /// <summary>
    /// Writes a file the cmdlet wrote as Get-Item would: through the FileSystem provider, so it carries PSPath
    /// and shows Size and UnixMode (a bare FileInfo made before the file existed shows them empty).
    /// </summary>
    private protected void WriteFile(string path) =>
        WriteObject(InvokeProvider.Item.Get([path], force: true, literalPath: true), enumerateCollection: true);

    /// <summary>The object beneath PowerShell's wrapper.</summary>
    private protected static object? Unwrap(object? value) => value is PSObject wrapped ? wrapped.BaseObject : value;

    private protected static ErrorRecord Record(OpusError error, Exception exception, object? target) =>
        new(exception, error.ErrorId, Enum.Parse<ErrorCategory>(error.Category), target);
}
