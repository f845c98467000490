using Microsoft.EntityFrameworkCore;
using Opus.Core.Storage;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>
/// On first start (no admin yet) creates the admin account. Its token is the configured one, or a
/// new one printed once on the console (never to the log, never stored in clear).
/// </summary>
public sealed class AdminBootstrap(UserService users, AuthOptions options, IDbContextFactory<OpusDbContext> contexts) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Servers starting at once on one empty database look for an admin one after the other: one creates it, the other finds it.
        string? token = null;
        await DatabaseSetup.ExclusivelyAsync(contexts, async () =>
            token = await users.EnsureAdminAsync(options.AdminUserName, options.AdminToken, cancellationToken), cancellationToken);
        if (token is not null && string.IsNullOrEmpty(options.AdminToken))
        {
            Console.WriteLine($"""

                Opus created the admin account '{options.AdminUserName}'. Its API token, shown this once:

                    {token}

                Use it with curl -u {options.AdminUserName}:TOKEN ... or Authorization: Bearer TOKEN.

                """);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
