using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Opus.Core.Jobs;
using Opus.Core.Storage;
using Opus.Core.Users;

namespace Opus.Core.Tests.Users;

/// <summary>
/// Who may do what with users and tokens, on a real SQLite database: the rules the SCIM and token
/// endpoints and the local PowerShell session all reach through Core's user services.
/// </summary>
public sealed class UserRulesTests : IAsyncLifetime
{
    private readonly DirectoryInfo _folder = System.IO.Directory.CreateTempSubdirectory("opus-users-");
    private ServiceProvider _services = null!;
    private static readonly Caller Admin = new("root", [Caller.AdminRole]);
    private static readonly Caller Alice = new("alice", ["copy"]);
    private static readonly Caller Bob = new("bob", ["copy"]);
    private static readonly Caller Anonymous = new("anonymous", ["*"], Anonymous: true);

    private UserDirectory Directory => _services.GetRequiredService<UserDirectory>();

    private ApiTokens Tokens => _services.GetRequiredService<ApiTokens>();

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(NullLogger<>));
        services.AddOpus(new ConfigurationBuilder().Build(), o => (o.DataPath, o.Storage.ConnectionString) = (_folder.FullName, $"Data Source={Path.Combine(_folder.FullName, "opus.db")};Pooling=False"));
        _services = services.BuildServiceProvider();
        await DatabaseSetup.MigrateAsync(_services.GetRequiredService<IDbContextFactory<OpusDbContext>>());
        await Directory.CreateAsync(Admin, "alice", roles: ["copy"]);
        await Directory.CreateAsync(Admin, "bob", roles: ["copy"]);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        _folder.Delete(recursive: true);
    }

    [Fact]
    public async Task Only_admins_create_list_change_and_remove_users()
    {
        foreach (var caller in new[] { Alice, Anonymous })
        {
            await Assert.ThrowsAsync<OpusStateException>(() => Directory.CreateAsync(caller, "carol"));
            await Assert.ThrowsAsync<OpusStateException>(() => Directory.ListAsync(caller));
            await Assert.ThrowsAsync<OpusStateException>(() => Directory.UpdateAsync(caller, "alice", roles: ["admin"]));
            await Assert.ThrowsAsync<OpusStateException>(() => Directory.DeleteAsync(caller, "bob"));
        }

        Assert.Equal(["copy"], (await Directory.GetAsync(Admin, "alice")).Roles);
        Assert.Null(await Directory.FindAsync("carol"));
        var carol = await Directory.CreateAsync(Admin, "carol");
        Assert.Equal(3, (await Directory.ListAsync(Admin)).Total);
        Assert.Equal(["sleep"], (await Directory.UpdateAsync(Admin, carol.Id, roles: ["sleep"])).Roles);
        await Directory.DeleteAsync(Admin, "carol");
        Assert.Null(await Directory.FindAsync("carol"));
    }

    [Fact]
    public async Task A_user_sees_their_own_entry_and_no_one_elses()
    {
        var alice = await Directory.GetAsync(Alice, "alice");
        Assert.Equal(alice.Id, (await Directory.GetAsync(Alice, alice.Id)).Id);
        // Another user's entry is not found, as if it did not exist; so is any entry for an anonymous caller.
        var refused = await Assert.ThrowsAsync<OpusNotFoundException>(() => Directory.GetAsync(Alice, "bob"));
        Assert.Equal("no user 'bob'", refused.Message);
        await Assert.ThrowsAsync<OpusNotFoundException>(() => Directory.GetAsync(Anonymous, "anonymous"));
    }

    [Fact]
    public async Task A_user_manages_their_own_tokens_and_an_admin_anyones()
    {
        var (owner, token, secret) = await Tokens.IssueAsync(Alice, "alice", "laptop");
        Assert.Equal("alice", owner.UserName);
        Assert.Equal("alice", (await _services.GetRequiredService<TokenAuthentication>().AuthenticateAsync(secret))?.UserName);
        Assert.Equal(token.Id, (await Tokens.GetAsync(Alice, owner.Id, "laptop")).Id);

        // Bob can neither see, issue nor revoke alice's tokens, nor learn whether a user exists.
        foreach (var target in new[] { "alice", owner.Id, "nobody" })
        {
            await Assert.ThrowsAsync<OpusStateException>(() => Tokens.ListAsync(Bob, target));
            await Assert.ThrowsAsync<OpusStateException>(() => Tokens.IssueAsync(Bob, target, "stolen"));
            await Assert.ThrowsAsync<OpusStateException>(() => Tokens.RevokeAsync(Bob, target, "laptop"));
        }

        await Assert.ThrowsAsync<OpusStateException>(() => Tokens.ListAsync(Anonymous, "anonymous"));
        // Through his own name, alice's token is simply not one of his.
        await Assert.ThrowsAsync<OpusNotFoundException>(() => Tokens.RevokeAsync(Bob, "bob", token.Id));
        await Assert.ThrowsAsync<OpusNotFoundException>(() => Tokens.ListAsync(Admin, "nobody"));

        await Tokens.RevokeAsync(Admin, "alice", token.Id);
        Assert.Null(await _services.GetRequiredService<TokenAuthentication>().AuthenticateAsync(secret));
        Assert.NotNull(Assert.Single((await Tokens.ListAsync(Alice, "alice")).Tokens).RevokedAt);
    }

    [Fact]
    public async Task Stored_content_is_opened_by_admins_and_whoever_registered_it_and_is_not_found_by_others()
    {
        var store = _services.GetRequiredService<Opus.Core.Store.EntityStore>();
        var files = _services.GetRequiredService<JobFiles>();
        var (alices, size) = await store.AddStreamAsync(new MemoryStream("alice's table"u8.ToArray()));
        await store.RegisterAsync(alices, size, "table.txt", "text/plain", "alice", null);
        var (unowned, unownedSize) = await store.AddStreamAsync(new MemoryStream("anyone's table"u8.ToArray()));
        await store.RegisterAsync(unowned, unownedSize, "open.txt", "text/plain", null, null);

        foreach (var (caller, digest) in new[] { (Alice, alices), (Admin, alices), (Anonymous, unowned), (Admin, unowned) })
        {
            var (entity, content) = await files.OpenStoredAsync(caller, digest);
            await using (content)
                Assert.Equal(entity.Size, content.Length);
        }

        foreach (var (caller, digest) in new[] { (Bob, alices), (Anonymous, alices), (Alice, unowned), (Alice, new string('0', 64)) })
            Assert.Equal($"no stored entity {digest}", (await Assert.ThrowsAsync<OpusNotFoundException>(() => files.OpenStoredAsync(caller, digest))).Message);
    }
}
