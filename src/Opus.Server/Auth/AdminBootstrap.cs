using Microsoft.EntityFrameworkCore;
using Opus.Core;
using Opus.Core.Storage;
using Opus.Core.Users;

namespace Opus.Server.Auth;

/// <summary>
/// On first start (no admin yet) creates the admin account. Its token is the configured one, or a
/// new one shown once on the console (never to the log, never stored in the database in clear); when the
/// console is not a terminal (a service's journal keeps everything forever) the token goes to a 0600 file
/// in the data folder instead and the console says where.
/// </summary>
public sealed class AdminBootstrap(UserDirectory users, AuthOptions options, OpusOptions opus, IDbContextFactory<OpusDbContext> contexts) : IHostedService
{
    public const string TokenFileName = "admin-token";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Servers starting at once on one empty database look for an admin one after the other: one creates it, the other finds it.
        string? token = null;
        await DatabaseSetup.ExclusivelyAsync(contexts, async () =>
            token = await users.EnsureAdminAsync(options.AdminUserName, options.AdminToken, cancellationToken), cancellationToken);
        if (token is null || !string.IsNullOrEmpty(options.AdminToken))
            return;
        if (Console.IsOutputRedirected)
        {
            var file = Path.Combine(opus.FullDataPath, TokenFileName);
            var mode = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                mode.UnixCreateMode = PrivateFiles.File;
            await using (var writer = new StreamWriter(file, new System.Text.UTF8Encoding(false), mode))
                await writer.WriteLineAsync(token);
            PrivateFiles.RestrictFile(file);
            Console.WriteLine($"""

                Opus created the admin account '{options.AdminUserName}'. Its API token is in {file} (readable by this user only);
                read it, keep it elsewhere and delete the file. Use it with curl -u {options.AdminUserName}:TOKEN ... or Authorization: Bearer TOKEN.

                """);
            return;
        }

        Console.WriteLine($"""

            Opus created the admin account '{options.AdminUserName}'. Its API token, shown this once:

                {token}

            Use it with curl -u {options.AdminUserName}:TOKEN ... or Authorization: Bearer TOKEN.

            """);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
