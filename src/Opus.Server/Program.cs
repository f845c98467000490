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
