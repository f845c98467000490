using System.Security.Claims;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>The authenticated principal as Core sees it.</summary>
public static class CallerExtensions
{
    public const string AnonymousType = "anonymous";

    public static Caller Caller(this HttpContext context)
    {
        var user = context.User;
        if (user.Identity is not { IsAuthenticated: true, Name: { } name })
            throw new InvalidOperationException("the endpoint requires an authenticated caller");
        var roles = user.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList();
        return new Caller(name, roles, user.Identity.AuthenticationType == AnonymousType);
    }

    public static ClaimsPrincipal Principal(Caller caller, string authenticationType) =>
        new(new ClaimsIdentity(
            caller.Roles.Select(r => new Claim(ClaimTypes.Role, r)).Prepend(new Claim(ClaimTypes.Name, caller.UserName)),
            authenticationType, ClaimTypes.Name, ClaimTypes.Role));
}
