using System.Globalization;
using System.Text.RegularExpressions;
using Opus.Core.Execution;

namespace Opus.Core.Definitions;

/// <summary>Checks a whole definition before it is accepted; lists every problem, naming the field.</summary>
public static partial class DefinitionValidator
{
    // Parameters become environment variables of the script: these names would change how bash
    // or the loader behaves, and OPUS_ is ours.
    private static readonly HashSet<string> ReservedNames = new(StringComparer.Ordinal)
    {
        "PATH", "HOME", "IFS", "PS4", "SHELL", "BASH_ENV", "ENV", "CDPATH", "GLOBIGNORE", "SHELLOPTS", "BASHOPTS",
        "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PWD", "OLDPWD", "USER", "LOGNAME", "TMPDIR", "LANG", "LC_ALL",
        "PROMPT_COMMAND", "BASH_XTRACEFD", "HOSTNAME", "UID", "EUID", "PPID", "SHLVL", "RANDOM", "SECONDS", "LINENO",
    };

    // UWS control parameters share the form with job parameters (UWS 3.4, 9.4).
    private static readonly HashSet<string> ControlNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "PHASE", "RUNID", "EXECUTIONDURATION", "DESTRUCTION", "ACTION", "WAIT", "LAST", "AFTER", "QUOTE", "OWNER", "NOTIFY",
    };

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex DefinitionNamePattern();

    public static IReadOnlyList<string> Validate(JobDefinition definition)
    {
        var problems = new List<string>();
        if (!DefinitionNamePattern().IsMatch(definition.Name ?? ""))
            problems.Add($"name: '{definition.Name}' must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit");
        // A role names the definitions it grants: a definition named like a role granting every one would be ambiguous.
        else if (Users.Caller.EveryDefinitionRoles.Contains(definition.Name, StringComparer.OrdinalIgnoreCase))
            problems.Add($"name: '{definition.Name}' is the role that grants every definition; choose another name");
        if (string.IsNullOrWhiteSpace(definition.Version))
            problems.Add("version: must not be empty");
        if (definition.ExecutionDuration < 0)
            problems.Add("executionDuration: must be 0 (unlimited) or a positive number of seconds");
        if (definition.Quote is < 0)
            problems.Add("quote: must not be negative");
        if (definition.Resources?.Manager is { } manager && manager is not ("local" or "slurm"))
            problems.Add($"resources.manager: '{manager}' is not a job manager; use local or slurm (or leave it out for the server's)");
        if (definition.Resources?.Network is { } network && network is not ("allowed" or JobResources.NoNetwork))
            problems.Add($"resources.network: '{network}' is not a network choice; use allowed or none");
        if (definition.Resources?.Cpus is < 1)
            problems.Add("resources.cpus: must be at least 1");
        if (definition.Resources?.Nodes is < 1)
            problems.Add("resources.nodes: must be at least 1");
        if (definition.Resources?.Tasks is < 1)
            problems.Add("resources.tasks: must be at least 1");
        if (definition.Resources is { } resources)
            problems.AddRange(JobLimitValues.CheckRequest(resources));
        if (string.IsNullOrWhiteSpace(definition.Script))
            problems.Add("script: must not be empty");

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < definition.Parameters.Count; i++)
        {
            var p = definition.Parameters[i];
            var at = $"parameters[{i}] ({p.Name})";
            CheckName(p.Name, at, seen, problems);
            var type = ParameterTypes.Normalize(p.Type);
            if (type is null)
            {
                problems.Add($"{at}.type: unknown datatype '{p.Type}'; use one of {string.Join(", ", ParameterTypes.All)}");
                continue;
            }

            p.Type = type;
            if (p.Min is not null && !IsNumber(p.Min))
                problems.Add($"{at}.min: '{p.Min}' is not a number");
            if (p.Max is not null && !IsNumber(p.Max))
                problems.Add($"{at}.max: '{p.Max}' is not a number");
            if (IsNumber(p.Min) && IsNumber(p.Max) && double.Parse(p.Min!, CultureInfo.InvariantCulture) > double.Parse(p.Max!, CultureInfo.InvariantCulture))
                problems.Add($"{at}: min {p.Min} is greater than max {p.Max}");
            foreach (var option in p.Options ?? [])
            {
                var probe = new ParameterDefinition { Name = p.Name, Type = type, Min = p.Min, Max = p.Max };
                if (ParameterValidator.Check(probe, option) is { } bad)
                    problems.Add($"{at}.options: {bad}");
            }

            if (p.Default is not null && ParameterValidator.Check(p, p.Default) is { } wrong)
                problems.Add($"{at}.default: {wrong}");
        }

        for (var i = 0; i < definition.Used.Count; i++)
        {
            var u = definition.Used[i];
            CheckName(u.Name, $"used[{i}] ({u.Name})", seen, problems);
            if (u.File is not null && !IsPlainFileName(u.File))
                problems.Add($"used[{i}] ({u.Name}).file: '{u.File}' must be a plain file name");
        }

        var generatedNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < definition.Generated.Count; i++)
        {
            var g = definition.Generated[i];
            var at = $"generated[{i}] ({g.Name})";
            if (!IdentifierPattern().IsMatch(g.Name ?? ""))
                problems.Add($"{at}.name: '{g.Name}' must be a letter or '_' followed by letters, digits or '_'");
            else if (!generatedNames.Add(g.Name!))
                problems.Add($"{at}.name: duplicate result name '{g.Name}'");
            if (string.IsNullOrWhiteSpace(g.File))
                problems.Add($"{at}.file: a generated result needs a file name or glob");
            else if (!IsRelativePattern(g.File))
                problems.Add($"{at}.file: '{g.File}' must be relative to the working directory, without '..'");
        }

        return problems;
    }

    private static void CheckName(string? name, string at, HashSet<string> seen, List<string> problems)
    {
        name ??= "";
        if (!IdentifierPattern().IsMatch(name))
            problems.Add($"{at}.name: '{name}' must be a letter or '_' followed by letters, digits or '_' (it becomes a shell variable)");
        else if (ReservedNames.Contains(name) || name.StartsWith("OPUS_", StringComparison.Ordinal) || name.StartsWith("BASH", StringComparison.Ordinal))
            problems.Add($"{at}.name: '{name}' is reserved (it would change the script's environment)");
        else if (ControlNames.Contains(name))
            problems.Add($"{at}.name: '{name}' is a UWS control parameter");
        else if (!seen.Add(name))
            problems.Add($"{at}.name: duplicate name '{name}'");
    }

    private static bool IsNumber(string? text) =>
        text is not null && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d);

    private static bool IsPlainFileName(string name) =>
        name.Length > 0 && name.IndexOfAny(['/', '\\', '\0']) < 0 && name is not "." and not "..";

    private static bool IsRelativePattern(string pattern) =>
        !pattern.StartsWith('/') && !pattern.Contains('\0') && !pattern.Split('/').Contains("..");
}
