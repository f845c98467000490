namespace Opus.Client;

/// <summary>How to reach a server: its address and, unless it allows anonymous use, a user name and API token.</summary>
public sealed record RemoteSessionSettings(Uri BaseUri)
{
    public string? UserName { get; init; }

    /// <summary>An Opus API token (HTTP Basic with <see cref="UserName"/>, or Bearer without one).</summary>
    public string? Token { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>For tests: the handler under the client (redirects are never followed automatically).</summary>
    public HttpMessageHandler? Handler { get; init; }
}
