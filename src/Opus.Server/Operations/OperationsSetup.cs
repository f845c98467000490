using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry.Metrics;
using Opus.Core;
using Opus.Core.Operations;

namespace Opus.Server.Operations;

/// <summary>What an operator watches: logs, health, metrics, VOSI. Registered and mapped from Program.cs in one call each.</summary>
public static class OperationsSetup
{
    /// <summary>The checks /health/ready and /availability run.</summary>
    public const string ReadyTag = "ready";

    private const string MetricsPolicy = "metrics";

    public static void AddOpusOperations(this WebApplicationBuilder builder)
    {
        // The slim builder pins the console formatter to "simple" after reading the configuration: read it again
        // last, so Logging:Console:FormatterName=json (or systemd) is obeyed.
        builder.Services.Configure<ConsoleLoggerOptions>(builder.Configuration.GetSection("Logging:Console"));

        builder.Services.AddSingleton(Read<HealthOptions>(builder.Configuration, "Opus:Health") ?? new HealthOptions());
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadyTag])
            .AddCheck<StoreHealthCheck>("store", tags: [ReadyTag])
            .AddCheck<GraphvizHealthCheck>("graphviz", tags: [ReadyTag])
            .AddCheck<SlurmHealthCheck>("slurm", tags: [ReadyTag]);

        if (!MetricsEnabled(builder.Configuration))
            return;
        // /metrics tells how busy the server is and what its definitions are called: without credentials only to
        // the scraper's networks (loopback unless configured), to anyone else only with an admin's credential.
        var scrapers = (Read<string[]>(builder.Configuration, "Opus:Metrics:AllowedNetworks") is { Length: > 0 } networks ? networks : ["127.0.0.0/8", "::1/128"])
            .Select(network => System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed
                : throw new OpusConfigurationException($"Opus:Metrics:AllowedNetworks: '{network}' is no network (address/prefix length, e.g. 10.0.0.0/8)"))
            .ToList();
        builder.Services.AddAuthorizationBuilder().AddPolicy(MetricsPolicy, policy => policy
            .AddAuthenticationSchemes(Auth.OpusAuthenticationHandler.SchemeName)
            .RequireAssertion(context => context.User.IsInRole(Opus.Core.Users.Caller.AdminRole)
                || context.Resource is HttpContext { Connection.RemoteIpAddress: { } address }
                    && scrapers.Any(network => network.Contains(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address))));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddMeter(OpusMetrics.MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel")
                .AddPrometheusExporter());
    }

    /// <summary>The access log, outermost, so it sees the status every other layer settled on.</summary>
    public static void UseRequestLog(this WebApplication app) => app.UseMiddleware<RequestLog>();

    public static void MapOpusOperations(this WebApplication app)
    {
        // Live: the process answers (no check runs). Ready: it can serve jobs.
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync }).AllowAnonymous();
        app.MapVosi(DateTime.UtcNow);
        if (MetricsEnabled(app.Configuration))
            app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(MetricsPolicy);
    }

    private static bool MetricsEnabled(IConfiguration configuration) => Read<bool>(configuration, "Opus:Metrics:Enabled");

    // A value that cannot be read stops the server with one line naming the key (Program.cs catches this).
    private static T? Read<T>(IConfiguration configuration, string key)
    {
        try
        {
            return configuration.GetSection(key).Get<T>();
        }
        catch (InvalidOperationException)
        {
            throw new OpusConfigurationException($"{key}: the value cannot be read as {(typeof(T) == typeof(bool) ? "true or false" : "its settings")}");
        }
    }

    // {"status":"Healthy","checks":{"database":{"status":"Healthy","description":"reachable"},...}}
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description });
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { status = report.Status.ToString(), checks }));
    }
}
