using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Opus.PowerShell.Decisions;

namespace Opus.PowerShell.Completers;

/// <summary>Completes the ten UWS phases.</summary>
public sealed class PhaseCompleter : IArgumentCompleter
{
    /// <summary>The phases starting with the word typed.</summary>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Completions.Phases(wordToComplete).Select(p => new CompletionResult(p));
}
