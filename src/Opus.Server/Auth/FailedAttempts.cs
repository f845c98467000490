using System.Collections.Concurrent;
using System.Net;

namespace Opus.Server.Auth;

/// <summary>
/// Counts failed authentications per (client address, user name) in a fixed window; too many and that pair's
/// failing attempts are refused (429) until the window ends. The address is the client's as seen after a
/// trusted proxy, so one client's mistakes lock out neither another client nor another user.
/// </summary>
public sealed class FailedAttempts(AuthOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(IPAddress Address, string User), (int Count, DateTime Start)> _failures = new();

    /// <summary><paramref name="user"/> is the name a Basic credential gives, empty for a bearer token.</summary>
    public bool IsBlocked(IPAddress? address, string user, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (address is null || !_failures.TryGetValue(Key(address, user), out var entry))
            return false;
        var end = entry.Start + options.FailureWindow;
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= end)
        {
            _failures.TryRemove(Key(address, user), out _);
            return false;
        }

        retryAfter = end - now;
        return entry.Count >= options.MaxFailures;
    }

    public void Record(IPAddress? address, string user)
    {
        if (address is null)
            return;
        var now = time.GetUtcNow().UtcDateTime;
        _failures.AddOrUpdate(Key(address, user), _ => (1, now), (_, e) => now - e.Start >= options.FailureWindow ? (1, now) : (e.Count + 1, e.Start));
        // Keep the table small under a spray of addresses or names.
        if (_failures.Count > 10_000)
        {
            foreach (var stale in _failures.Where(kv => now - kv.Value.Start >= options.FailureWindow).Select(kv => kv.Key).ToList())
                _failures.TryRemove(stale, out _);
        }
    }

    // An IPv4 client reached over an IPv6 socket is the same client; names differing in case are the same target.
    private static (IPAddress, string) Key(IPAddress address, string user) =>
        (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, user.ToLowerInvariant());
}
