using System.Text.Json.Nodes;
using Opus.Core.Jobs;
using Opus.Core.Sessions;
using Opus.Core.Uws;

namespace Opus.Client;

/// <summary>API tokens under /users/{name}/tokens (a user's own, or anyone's for an admin).</summary>
public sealed partial class RemoteOpusSession
{
    public async Task<UserToken> IssueTokenAsync(string idOrName, string tokenName, DateTime? expiresAt = null, CancellationToken cancellationToken = default)
    {
        var fields = new List<KeyValuePair<string, string>> { new("name", tokenName) };
        if (expiresAt is { } expiry)
            fields.Add(new("expires", UwsTime.Format(expiry)));
        var userName = await UserNameOfAsync(idOrName, cancellationToken);
        using var response = await SendFormAsync(TokensPath(userName), fields, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        return TokenFrom(userName, answer) with { Secret = (string?)answer["token"] };
    }

    public async Task<IReadOnlyList<UserToken>> ListTokensAsync(string idOrName, CancellationToken cancellationToken = default)
    {
        var userName = await UserNameOfAsync(idOrName, cancellationToken);
        using var response = await SendAsync(HttpMethod.Get, TokensPath(userName), null, cancellationToken);
        var answer = await ReadJsonAsync(response, cancellationToken);
        return (answer["tokens"] as JsonArray ?? []).OfType<JsonObject>().Select(t => TokenFrom(userName, t)).ToList();
    }

    public async Task RevokeTokenAsync(string idOrName, string tokenIdOrName, CancellationToken cancellationToken = default)
    {
        var userName = await UserNameOfAsync(idOrName, cancellationToken);
        using var response = await SendAsync(HttpMethod.Delete, $"{TokensPath(userName)}/{Uri.EscapeDataString(tokenIdOrName)}", null, cancellationToken);
    }

    /// <summary>Tokens are addressed by user name; a non-admin cannot use SCIM, so a name is taken as given.</summary>
    private async Task<string> UserNameOfAsync(string idOrName, CancellationToken cancellationToken)
    {
        if (idOrName == UserName)
            return idOrName;
        try
        {
            return (await FindUserAsync(idOrName, cancellationToken))?.UserName ?? idOrName;
        }
        catch (OpusStateException)
        {
            return idOrName;
        }
    }

    private static string TokensPath(string userName) => $"users/{Uri.EscapeDataString(userName)}/tokens";

    private static UserToken TokenFrom(string userName, JsonObject token) => new(
        userName,
        (string?)token["id"] ?? "",
        (string?)token["name"] ?? "",
        UwsTime.Parse((string?)token["createdAt"]) ?? default,
        UwsTime.Parse((string?)token["expiresAt"]),
        UwsTime.Parse((string?)token["revokedAt"]),
        UwsTime.Parse((string?)token["lastUsedAt"]));
}
