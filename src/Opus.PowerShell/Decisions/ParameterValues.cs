using System.Collections;
using System.Globalization;
using Opus.Core.Jobs;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Decisions;

/// <summary>
/// Job parameters from a hashtable as UWS text: numbers in the invariant culture, booleans as
/// true/false, times as ISO 8601 UTC, arrays as repeated values; FileInfo values are files to upload.
/// </summary>
internal static class ParameterValues
{
    /// <param name="table">The -Parameter hashtable.</param>
    /// <param name="unwrap">Gives the object under a PowerShell wrapper (the cmdlet passes PSObject.BaseObject).</param>
    public static (List<KeyValuePair<string, string>> Values, List<JobFile> Files, OpusError? Error) From(
        IDictionary? table, Func<object?, object?> unwrap)
    {
        var values = new List<KeyValuePair<string, string>>();
        var files = new List<JobFile>();
        foreach (DictionaryEntry entry in table ?? new Hashtable())
        {
            var name = Convert.ToString(unwrap(entry.Key), CultureInfo.InvariantCulture) ?? "";
            if (name.Length == 0)
                return (values, files, OpusError.Argument("InvalidUwsJobParameter", "a parameter has an empty name"));
            var value = unwrap(entry.Value);
            IEnumerable items = value is IEnumerable list and not string ? list : new[] { value };
            foreach (var item in items.Cast<object?>().Select(unwrap))
            {
                switch (item)
                {
                    case null:
                        return (values, files, OpusError.Argument("InvalidUwsJobParameter", $"parameter '{name}' has no value"));
                    case FileInfo file:
                        files.Add(new JobFile(name, file.FullName));
                        break;
                    default:
                        values.Add(new(name, Text(item)));
                        break;
                }
            }
        }

        return (values, files, null);
    }

    /// <summary>Input files by name: a path or several paths each (already resolved to file system paths).</summary>
    public static List<JobFile> Files(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> inputs) =>
        inputs.SelectMany(input => input.Value.Select(path => new JobFile(input.Key, path))).ToList();

    public static string Text(object value) => value switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        DateTime time => UwsTime.Format(time),
        DateTimeOffset time => UwsTime.Format(time.UtcDateTime),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
