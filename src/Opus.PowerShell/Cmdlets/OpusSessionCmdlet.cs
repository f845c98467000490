using System.Management.Automation;
using Opus.Core.Sessions;
using Opus.PowerShell.Decisions;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Cmdlets;

/// <summary>
/// A cmdlet that works in a session: -Session, or the session a piped object came from, or the last
/// connected, or a local one over $env:OPUS_DATA opened now. What it writes remembers its session.
/// </summary>
public abstract class OpusSessionCmdlet : OpusCmdlet
{
    /// <summary>The name of the note property that tells which session an object came from.</summary>
    private const string SessionProperty = "Session";

    /// <summary><para type="description">The session to work in (from Connect-OpusServer); when absent, the session a piped object came from, else the last connected, else $env:OPUS_DATA opened locally.</para></summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public virtual OpusSession? Session { get; set; }

    /// <summary>The session of this pipeline input; <paramref name="origin"/> is an object given whose session counts before the default.</summary>
    private protected OpusSession UsedSession(object? origin = null)
    {
        if ((Session ?? SessionHolder.Of(Unwrap(origin))) is { } chosen)
        {
            if (chosen.IsOpen)
                return chosen;
            var closed = OpusError.SessionClosed(chosen.ToString());
            ThrowTerminatingError(Record(closed, new InvalidOperationException(closed.Message), chosen));
        }

        var choice = SessionChoice.Decide(SessionHolder.Last is not null, Environment.GetEnvironmentVariable(SessionChoice.DataVariable));
        switch (choice.Kind)
        {
            case SessionChoiceKind.UseCurrent when SessionHolder.Last is { } last:
                return last;
            case SessionChoiceKind.OpenLocal:
                WriteVerbose($"Opening the local Opus data folder {choice.DataPath} (${SessionChoice.DataVariable})");
                return SessionHolder.Add(Run(ct => LocalOpusSession.OpenAsync(new LocalSessionSettings(GetUnresolvedProviderPathFromPSPath(choice.DataPath!)), ct)));
            default:
                var error = choice.Error ?? SessionChoice.Decide(false, null).Error!;
                ThrowTerminatingError(Record(error, new InvalidOperationException(error.Message), null));
                throw new InvalidOperationException(error.Message);
        }
    }

    /// <summary>Writes an object that came from <paramref name="session"/>: it carries the session, so piping it on acts there.</summary>
    private protected void WriteFrom(OpusSession session, object item)
    {
        SessionHolder.Remember(item, session);
        var wrapped = PSObject.AsPSObject(item);
        wrapped.Properties.Remove(SessionProperty);
        wrapped.Properties.Add(new PSNoteProperty(SessionProperty, session));
        WriteObject(wrapped);
    }
}
