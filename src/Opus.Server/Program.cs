using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Opus.Core;
using Opus.Core.Jobs;
using Opus.Server;
using Opus.Server.Endpoints;

var builder = WebApplication.CreateSlimBuilder(args);
var options = builder.Configuration.GetSection("Opus").Get<OpusOptions>() ?? new OpusOptions();
options.DefinitionsPath ??= Path.Combine(AppContext.BaseDirectory, "definitions");

builder.Services.AddOpus(options);
builder.Services.AddHostedService<JobMaintenance>();
builder.Services.AddProblemDetails();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

var app = builder.Build();
app.UseMiddleware<ErrorMessages>();
// Unmatched routes and methods get a one-line message too, not an empty body.
app.UseStatusCodePages(async context =>
{
    var response = context.HttpContext.Response;
    if (response.ContentLength is null && response.ContentType is null)
    {
        response.ContentType = "text/plain; charset=utf-8";
        await response.WriteAsync(response.StatusCode switch
        {
            StatusCodes.Status404NotFound => $"no resource at {context.HttpContext.Request.Path}\n",
            StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path}\n",
            _ => $"{response.StatusCode}\n",
        });
    }
});

// Runners call back to this server unless the configuration names another address.
app.Lifetime.ApplicationStarted.Register(() =>
{
    if (string.IsNullOrEmpty(options.CallbackUrl))
    {
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is not null)
            options.CallbackUrl = $"{address.TrimEnd('/').Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1")}/handler/job_event";
    }

    app.Logger.LogInformation("Opus serves {Count} job definitions; data in {DataPath}", app.Services.GetRequiredService<Opus.Core.Definitions.DefinitionCatalog>().All.Count, options.FullDataPath);
});

app.MapGet("/", () => Results.Redirect("/rest"));
app.MapUws();
app.MapJobEvents();
app.MapStore();
app.MapGet("/health", () => Results.Text("ok\n"));

app.Run();
