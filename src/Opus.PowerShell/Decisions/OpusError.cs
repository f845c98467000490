using Opus.Client;
using Opus.Core.Jobs;
using Opus.Core.Sessions;

namespace Opus.PowerShell.Decisions;

/// <summary>
/// A failure as the module reports it: a stable error id (FullyQualifiedErrorId starts with it),
/// the name of a PowerShell ErrorCategory, and a one-line message. Cmdlets turn it into an ErrorRecord.
/// </summary>
internal sealed record OpusError(string ErrorId, string Category, string Message)
{
    /// <summary>
    /// The one table from Core's failures to errors; <paramref name="subject"/> names what was being
    /// handled ("UwsJob", "ActivityDescription", "OpusUser", ...), so ids read "UwsJobNotFound".
    /// </summary>
    public static OpusError From(Exception exception, string subject) => exception switch
    {
        OpusValidationException e => new($"Invalid{subject}", "InvalidArgument", e.Message),
        OpusNotFoundException e => new($"{subject}NotFound", "ObjectNotFound", e.Message),
        OpusConflictException e => new($"{subject}Exists", "ResourceExists", e.Message),
        OpusStateException e => new($"{subject}NotAllowed", "InvalidOperation", e.Message),
        OpusSessionException { IsAuthentication: true } e => new("OpusAuthenticationFailed", "AuthenticationError", e.Message),
        OpusSessionException { StatusCode: null } e => new("OpusServerUnreachable", "ConnectionError", e.Message),
        OpusSessionException e => new("OpusServerError", "ProtocolError", e.Message),
        FileNotFoundException or DirectoryNotFoundException => new($"{subject}FileNotFound", "ObjectNotFound", exception.Message),
        UnauthorizedAccessException => new($"{subject}FileAccessDenied", "PermissionDenied", exception.Message),
        IOException => new($"{subject}FileError", "WriteError", exception.Message),
        InvalidDataException => new($"Invalid{subject}", "InvalidData", exception.Message),
        TimeoutException => new($"{subject}Timeout", "OperationTimeout", exception.Message),
        _ => new($"{subject}Failed", "NotSpecified", exception.Message),
    };

    /// <summary>Get-OpusUser -ExternalId found no user: reported like an unknown user name.</summary>
    public static OpusError NoUserWithExternalId(string externalId) =>
        new("OpusUserNotFound", "ObjectNotFound", $"no user has the externalId '{externalId}'");

    /// <summary>-Session, or the session of a piped object, was closed by Disconnect-OpusServer.</summary>
    public static OpusError SessionClosed(string session) =>
        new("OpusSessionClosed", "ResourceUnavailable", $"the Opus session {session} is closed: connect again with Connect-OpusServer");

    /// <summary>A mistake in the cmdlet's own arguments, found before anything was asked of the session.</summary>
    public static OpusError Argument(string errorId, string message) => new(errorId, "InvalidArgument", message);
}
