using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace Opus.PowerShell.Host.Tests;

/// <summary>
/// A PowerShell host that records what a console would show (-WhatIf text, warnings) and answers
/// -Confirm prompts from a queue, as a user at the keyboard would.
/// </summary>
public sealed class RecordingHost : PSHost
{
    private readonly RecordingUserInterface _ui = new();

    public override string Name => "OpusTestHost";

    public override Version Version { get; } = new(1, 0);

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;

    /// <summary>Everything written to the console so far.</summary>
    public string Console => _ui.Text;

    /// <summary>The confirmation prompts shown, caption and message.</summary>
    public IReadOnlyList<string> Prompts => _ui.Prompts;

    /// <summary>The labels the next prompt's answer is chosen by, in order ("&amp;Yes", "&amp;No"...).</summary>
    public Queue<string> Answers => _ui.Answers;

    public override void SetShouldExit(int exitCode)
    {
    }

    public override void EnterNestedPrompt() => throw new NotSupportedException();

    public override void ExitNestedPrompt() => throw new NotSupportedException();

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    private sealed class RecordingUserInterface : PSHostUserInterface
    {
        private readonly StringBuilder _text = new();
        private readonly List<string> _prompts = [];

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public List<string> Prompts => _prompts;

        public Queue<string> Answers { get; } = new();

        public override PSHostRawUserInterface? RawUI => null;

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            _prompts.Add($"{caption}: {message}");
            var answer = Answers.Dequeue();
            var index = choices.ToList().FindIndex(c => c.Label.Replace("&", "", StringComparison.Ordinal) == answer);
            return index >= 0 ? index : throw new InvalidOperationException($"no choice '{answer}' in {string.Join(", ", choices.Select(c => c.Label))}");
        }

        public override void Write(string value) => Append(value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Append(value);

        public override void WriteLine(string value) => Append(value + "\n");

        public override void WriteErrorLine(string value) => Append(value + "\n");

        public override void WriteDebugLine(string message) => Append("DEBUG: " + message + "\n");

        public override void WriteVerboseLine(string message) => Append("VERBOSE: " + message + "\n");

        public override void WriteWarningLine(string message) => Append("WARNING: " + message + "\n");

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        public override string ReadLine() => throw new NotSupportedException("the tests never read from the console");

        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException("the tests never read from the console");

        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions) =>
            throw new NotSupportedException($"unexpected prompt: {caption} {message}");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new NotSupportedException($"unexpected credential prompt: {caption} {message}");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new NotSupportedException($"unexpected credential prompt: {caption} {message}");

        private void Append(string value)
        {
            lock (_text)
                _text.Append(value);
        }
    }
}
