using System.Globalization;
using Opus.Core.Jobs;

namespace Opus.Core.Definitions;

/// <summary>Checks one parameter value against its declaration and returns the value to store.</summary>
public static class ParameterValidator
{
    /// <summary>Returns the canonical value, or throws <see cref="OpusValidationException"/> saying which parameter and why.</summary>
    public static string Validate(ParameterDefinition parameter, string value)
    {
        var problem = Check(parameter, value);
        if (problem is not null)
            throw new OpusValidationException($"parameter '{parameter.Name}': {problem}");
        return parameter.Type == ParameterTypes.Boolean ? value.Trim().ToLowerInvariant() : value;
    }

    /// <summary>
    /// The most one NAME=value string of a process's environment may hold on Linux, with its NUL
    /// (MAX_ARG_STRLEN, 32 pages of 4 KiB): a job receives its parameters as environment variables.
    /// </summary>
    public const int MaxEnvironmentStringBytes = 32 * 4096;

    /// <summary>Null when the value is acceptable; otherwise what is wrong with it.</summary>
    public static string? Check(ParameterDefinition parameter, string value)
    {
        // A longer value would be accepted, then fail the job (E2BIG): refused here, saying what fits.
        var fits = MaxEnvironmentStringBytes - System.Text.Encoding.UTF8.GetByteCount(parameter.Name) - 2;
        var bytes = System.Text.Encoding.UTF8.GetByteCount(value);
        if (bytes > fits)
            return string.Create(CultureInfo.InvariantCulture,
                $"the value is {bytes:N0} bytes, more than the {fits:N0} bytes a job's environment variable can carry; send a value this large as a file input");
        var shown = Shorten(value);
        switch (parameter.Type)
        {
            case ParameterTypes.Int:
                if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i))
                    return $"'{shown}' is not an integer (xs:int)";
                return CheckRange(parameter, i);
            case ParameterTypes.Long:
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                    return $"'{shown}' is not an integer (xs:long)";
                return CheckRange(parameter, l);
            case ParameterTypes.Double:
            case ParameterTypes.Float:
                if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d))
                    return $"'{shown}' is not a number ({parameter.Type})";
                return CheckRange(parameter, d);
            case ParameterTypes.Boolean:
                if (value.Trim().ToLowerInvariant() is not ("true" or "false" or "1" or "0"))
                    return $"'{shown}' is not a boolean (true, false, 1 or 0)";
                break;
            case ParameterTypes.DateTime:
                if (!DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _))
                    return $"'{shown}' is not an ISO 8601 date and time (xs:dateTime)";
                break;
            case ParameterTypes.AnyUri:
                if (!Uri.TryCreate(value, UriKind.Absolute, out _))
                    return $"'{shown}' is not an absolute URI (xs:anyURI)";
                break;
        }

        if (parameter.Options is { Count: > 0 } options && !options.Contains(value))
            return $"'{shown}' is not one of the options: {string.Join(", ", options)}";
        return null;
    }

    private static string? CheckRange(ParameterDefinition parameter, double value)
    {
        if (parameter.Min is not null && double.TryParse(parameter.Min, NumberStyles.Float, CultureInfo.InvariantCulture, out var min) && value < min)
            return $"{value.ToString(CultureInfo.InvariantCulture)} is below the minimum {parameter.Min}";
        if (parameter.Max is not null && double.TryParse(parameter.Max, NumberStyles.Float, CultureInfo.InvariantCulture, out var max) && value > max)
            return $"{value.ToString(CultureInfo.InvariantCulture)} is above the maximum {parameter.Max}";
        return null;
    }

    private static string Shorten(string value) => value.Length <= 60 ? value : value[..57] + "...";
}
