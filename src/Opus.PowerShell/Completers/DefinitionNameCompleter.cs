using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Opus.PowerShell.Decisions;
using Opus.PowerShell.Sessions;

namespace Opus.PowerShell.Completers;

/// <summary>Completes job definition names from -Session or the last connected session (nothing when none is connected: completion opens no session).</summary>
public sealed class DefinitionNameCompleter : IArgumentCompleter
{
    /// <summary>The definition names starting with the word typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var given = fakeBoundParameters.Contains("Session") ? fakeBoundParameters["Session"] : null;
        if (((given is PSObject wrapped ? wrapped.BaseObject : given) as OpusSession ?? SessionHolder.Last) is not { IsOpen: true } session)
            return [];
        try
        {
            var task = session.Client.ListDefinitionsAsync();
            if (!task.Wait(TimeSpan.FromSeconds(3)))
                return [];
            return Completions.Match(task.Result.Select(d => d.Name), wordToComplete).Select(n => new CompletionResult(n));
        }
        catch (Exception)
        {
            // Completion never fails a command line.
            return [];
        }
    }
}
