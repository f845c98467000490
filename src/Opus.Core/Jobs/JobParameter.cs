namespace Opus.Core.Jobs;

/// <summary>One job parameter as UWS shows it: a value inline, or a reference to uploaded content.</summary>
public sealed record JobParameter(string Name, string Value, bool ByReference = false);
