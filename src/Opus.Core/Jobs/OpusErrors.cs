namespace Opus.Core.Jobs;

/// <summary>A caller's mistake: malformed or invalid input (HTTP 400). The message is one line for the user.</summary>
public class OpusValidationException(string message) : Exception(message);

/// <summary>A request that is illegal in the job's current state, or not allowed (HTTP 403).</summary>
public class OpusStateException(string message) : Exception(message);

/// <summary>Something named does not exist, or is not visible to the caller (HTTP 404).</summary>
public class OpusNotFoundException(string message) : Exception(message);

/// <summary>Input over a configured size limit (HTTP 413); still a caller's mistake, so an <see cref="OpusValidationException"/>.</summary>
public class OpusTooLargeException(string message) : OpusValidationException(message);
