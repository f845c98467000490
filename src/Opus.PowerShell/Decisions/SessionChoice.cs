namespace Opus.PowerShell.Decisions;

/// <summary>Which session a cmdlet uses: the connected one, a local one over OPUS_DATA, or none (an error).</summary>
internal sealed record SessionChoice(SessionChoiceKind Kind, string? DataPath = null, OpusError? Error = null)
{
    public const string DataVariable = "OPUS_DATA";

    public static SessionChoice Decide(bool connected, string? opusData)
    {
        if (connected)
            return new(SessionChoiceKind.UseCurrent);
        if (!string.IsNullOrWhiteSpace(opusData))
            return new(SessionChoiceKind.OpenLocal, opusData.Trim());
        return new(SessionChoiceKind.None, Error: new OpusError(
            "OpusNotConnected", "ConnectionError",
            $"no Opus session: run Connect-OpusServer -Uri <server> or Connect-OpusServer -DataPath <folder>, or set ${DataVariable} to a data folder"));
    }
}

internal enum SessionChoiceKind
{
    UseCurrent,
    OpenLocal,
    None,
}
