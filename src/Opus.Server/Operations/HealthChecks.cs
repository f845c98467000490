using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Opus.Core;
using Opus.Core.Execution;
using Opus.Core.Provenance;
using Opus.Core.Storage;

namespace Opus.Server.Operations;

/// <summary>Configuration section Opus:Health.</summary>
public sealed class HealthOptions
{
    /// <summary>Free space the store's file system must keep for /health/ready to answer 200 (bytes; default 1 GiB).</summary>
    public long MinFreeBytes { get; set; } = 1L << 30;
}

/// <summary>The database answers a query.</summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<OpusDbContext> contexts) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy("reachable")
            : HealthCheckResult.Unhealthy("the database does not answer");
    }
}

/// <summary>The store takes a file, and its file system keeps Opus:Health:MinFreeBytes free.</summary>
public sealed class StoreHealthCheck(OpusOptions options, HealthOptions health) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var probe = Path.Combine(options.StorePath, $".health-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(options.StorePath);
            await File.WriteAllTextAsync(probe, "ok", cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The reason without the server's path.
            return HealthCheckResult.Unhealthy($"the store is not writable ({e.GetType().Name.Replace("Exception", "")})");
        }
        finally
        {
            File.Delete(probe);
        }

        var free = new DriveInfo(options.StorePath).AvailableFreeSpace;
        var data = new Dictionary<string, object> { ["freeBytes"] = free, ["minFreeBytes"] = health.MinFreeBytes };
        return free >= health.MinFreeBytes
            ? HealthCheckResult.Healthy("writable", data)
            : HealthCheckResult.Unhealthy($"{free} bytes free, below Opus:Health:MinFreeBytes ({health.MinFreeBytes})", data: data);
    }
}

/// <summary>Graphviz draws provenance; without it only the drawings are missing, so the server is degraded, not down.</summary>
public sealed class GraphvizHealthCheck(GraphvizRenderer graphviz) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(graphviz.IsAvailable
            ? HealthCheckResult.Healthy("dot found")
            : HealthCheckResult.Degraded("Graphviz (dot) is not installed: PROV-SVG and PROV-PNG are unavailable"));
}

/// <summary>When SLURM is enabled, its controller answers scontrol ping, through the configured transport (Opus:Slurm:Transport).</summary>
public sealed class SlurmHealthCheck(IServiceProvider services, ILogger<SlurmHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<ISlurmTransport>() is not { } slurm)
            return HealthCheckResult.Healthy("not enabled");
        try
        {
            await slurm.PingAsync(cancellationToken);
            return HealthCheckResult.Healthy("the controller answers");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or HttpRequestException)
        {
            // The details (a program's path, a host name) go to the log, not to an anonymous answer.
            logger.LogWarning("SLURM health check failed: {Problem}", e.Message);
            return HealthCheckResult.Unhealthy("the SLURM controller does not answer");
        }
    }
}
