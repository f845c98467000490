namespace Opus.Core.Jobs;

/// <summary>The request clashes with what exists (a user name taken): HTTP 409.</summary>
public class OpusConflictException(string message) : Exception(message);
