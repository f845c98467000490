namespace Opus.Client;

/// <summary>The server could not be reached, refused the credentials, or answered something unexpected.</summary>
public sealed class OpusSessionException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The HTTP status, when there was an answer.</summary>
    public int? StatusCode { get; } = statusCode;

    /// <summary>401: no credentials, or credentials the server does not accept.</summary>
    public bool IsAuthentication => StatusCode == 401;
}
