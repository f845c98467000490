using System.Diagnostics;

namespace Opus.Server.Tests.Infrastructure;

/// <summary>
/// Waits on something to happen, never on time passing: a condition is looked at until it holds, and the
/// bound is only there so a broken test ends. Tests must pass on a machine whose load average is 10.
/// </summary>
public static class Eventually
{
    /// <summary>
    /// The upper bound of a wait on an event: far more than an idle machine needs, enough for a loaded one (at a
    /// load average over 100 on 2 cores a test server took more than 120 s to answer /health).
    /// </summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(300);

    /// <summary>Looks until <paramref name="condition"/> holds of what <paramref name="look"/> sees; fails after <paramref name="within"/> (default <see cref="Bound"/>).</summary>
    public static async Task<T> HoldsAsync<T>(Func<Task<T>> look, Func<T, bool> condition, string what, TimeSpan? within = null)
    {
        var bound = within ?? Bound;
        var clock = Stopwatch.StartNew();
        var pause = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var seen = await look();
            if (condition(seen))
                return seen;
            if (clock.Elapsed > bound)
                throw new Xunit.Sdk.XunitException($"{what}: not within {bound.TotalSeconds:0} s; last seen: {seen}");
            // A poll interval, not a wait for anything: short at first, so an idle machine stays fast.
            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 250));
        }
    }

    /// <summary>Looks until <paramref name="condition"/> holds; fails after <paramref name="within"/> (default <see cref="Bound"/>).</summary>
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? within = null) =>
        HoldsAsync(() => Task.FromResult(condition()), holds => holds, what, within);
}
