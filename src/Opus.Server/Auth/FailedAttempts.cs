using System.Collections.Concurrent;
using System.Net;

namespace Opus.Server.Auth;

/// <summary>Counts failed authentications per client address in a fixed window; too many and the address is refused until the window ends.</summary>
public sealed class FailedAttempts(AuthOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<IPAddress, (int Count, DateTime Start)> _failures = new();

    public bool IsBlocked(IPAddress? address, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (address is null || !_failures.TryGetValue(address, out var entry))
            return false;
        var end = entry.Start + options.FailureWindow;
        var now = time.GetUtcNow().UtcDateTime;
        if (now >= end)
        {
            _failures.TryRemove(address, out _);
            return false;
        }

        retryAfter = end - now;
        return entry.Count >= options.MaxFailures;
    }

    public void Record(IPAddress? address)
    {
        if (address is null)
            return;
        var now = time.GetUtcNow().UtcDateTime;
        _failures.AddOrUpdate(address, _ => (1, now), (_, e) => now - e.Start >= options.FailureWindow ? (1, now) : (e.Count + 1, e.Start));
        // Keep the table small under a spray of addresses.
        if (_failures.Count > 10_000)
        {
            foreach (var stale in _failures.Where(kv => now - kv.Value.Start >= options.FailureWindow).Select(kv => kv.Key).ToList())
                _failures.TryRemove(stale, out _);
        }
    }
}
