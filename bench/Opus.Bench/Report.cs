using System.Globalization;

namespace Opus.Bench;

/// <summary>One line of the result table.</summary>
/// <param name="Met">True or false against a numeric target; null when there is none.</param>
public sealed record Row(string Measurement, string Measured, string Details, string Target, bool? Met, string Baseline);

/// <summary>Collects rows and notes, then prints the markdown report.</summary>
public sealed class Report
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];

    public void Add(string measurement, string measured, string details, string target, bool? met, string baseline)
    {
        lock (_rows)
            _rows.Add(new Row(measurement, measured, details, target, met, baseline));
        Progress.Say($"{measurement}: {measured} ({details})");
    }

    public void Note(string note) => _notes.Add(note);

    public void Print(TextWriter output, IEnumerable<string> machine, IEnumerable<string> method)
    {
        output.WriteLine("## Opus benchmark");
        output.WriteLine();
        output.WriteLine("Machine:");
        output.WriteLine();
        foreach (var line in machine)
            output.WriteLine($"- {line}");
        output.WriteLine();
        output.WriteLine("Method:");
        output.WriteLine();
        foreach (var line in method)
            output.WriteLine($"- {line}");
        output.WriteLine();
        output.WriteLine("| Measurement | Measured | Details | Target | vs target | OPUS baseline |");
        output.WriteLine("|---|---|---|---|---|---|");
        foreach (var row in _rows)
        {
            var verdict = row.Met switch { true => "met", false => "**missed**", null => "-" };
            output.WriteLine($"| {row.Measurement} | {row.Measured} | {row.Details} | {row.Target} | {verdict} | {row.Baseline} |");
        }

        if (_notes.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Notes:");
            output.WriteLine();
            foreach (var note in _notes)
                output.WriteLine($"- {note}");
        }
    }

    public static string Ms(double milliseconds) => milliseconds.ToString(milliseconds < 10 ? "0.00" : milliseconds < 100 ? "0.0" : "0", CultureInfo.InvariantCulture) + " ms";
}

/// <summary>Progress lines on standard error, so standard output stays the report.</summary>
public static class Progress
{
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();

    public static void Say(string message) => Console.Error.WriteLine($"[bench {Clock.Elapsed.TotalSeconds,6:0.0} s] {message}");
}
