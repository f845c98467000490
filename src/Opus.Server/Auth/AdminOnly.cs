using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Opus.Core.Jobs;

namespace Opus.Server.Auth;

/// <summary>
/// The "admins only" rule of a whole route group (SCIM, the server status), as the policy <see cref="Policy"/>.
/// Its refusal (403) still says why, in the group's own format: <see cref="Answer"/>, else Opus's one-line error.
/// </summary>
public sealed record AdminOnly(string Message, Func<string, IResult>? Answer = null)
{
    public const string Policy = "admin";
}

/// <summary>Answers an admin-policy refusal as its route's <see cref="AdminOnly"/> says; everything else as ASP.NET Core does.</summary>
public sealed class AdminRefusals : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (!result.Forbidden || context.GetEndpoint()?.Metadata.GetMetadata<AdminOnly>() is not { } rule)
            await _default.HandleAsync(next, context, policy, result);
        else
            await (rule.Answer?.Invoke(rule.Message) ?? throw new OpusStateException(rule.Message)).ExecuteAsync(context);
    }
}

public static class AdminOnlyExtensions
{
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder, string message, Func<string, IResult>? answer = null) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(AdminOnly.Policy).WithMetadata(new AdminOnly(message, answer));
}
