using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Opus.Core;
using Opus.Core.Users;
using Opus.Server;
using Opus.Server.Auth;
using Opus.Server.Client;
using Opus.Server.Endpoints;

// Nothing the server creates is for other users: the data folder's files are its alone.
PrivateFiles.RestrictUmask();

// appsettings.json is found beside the server, whatever the working directory.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
AuthOptions auth;
try
{
    builder.Services.AddOpus(builder.Configuration, options =>
    {
        options.DefinitionsPath ??= Path.Combine(AppContext.BaseDirectory, "definitions");
        // Runners call back to this server unless the configuration names another address; known before any job is resubmitted.
        options.CallbackUrl ??= options.PublicUrl is { Length: > 0 } publicUrl
            ? $"{publicUrl.TrimEnd('/')}/handler/job_event"
            : CallbackFrom(builder.Configuration["urls"]);
    });
    auth = builder.Configuration.GetSection("Opus:Auth").Get<AuthOptions>() ?? new AuthOptions();
}
catch (OpusConfigurationException e)
{
    // A value the server cannot use stops it before it creates anything: one line naming the key.
    Console.Error.WriteLine($"opus: {e.Message}");
    return 2;
}

builder.Services.AddSingleton<UserService>();
builder.Services.AddHostedService<AdminBootstrap>();
builder.Services.AddOpusAuth(auth);
builder.Services.AddProblemDetails();
builder.Services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>().Configure<OpusOptions>((kestrel, options) =>
{
    kestrel.AddServerHeader = false;
    // Uploads are limited by Opus:Inputs:MaxBytes (a clear 400), not by Kestrel's 30 MB default.
    kestrel.Limits.MaxRequestBodySize = options.Inputs.MaxBytes + (16 << 20);
});
builder.Services.AddOptions<Microsoft.AspNetCore.Http.Features.FormOptions>().Configure<OpusOptions>((form, options) => form.MultipartBodyLengthLimit = options.Inputs.MaxBytes + (16 << 20));

var app = builder.Build();
var options = app.Services.GetRequiredService<OpusOptions>();
app.UseMiddleware<ErrorMessages>();
// The web client's files at /client/, before authentication (they hold no secret).
app.UseOpusClient();
app.UseAuthentication();
app.UseAuthorization();
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

app.Lifetime.ApplicationStarted.Register(() =>
{
    // Port 0 or no configured address: the callback address is known only now.
    if (string.IsNullOrEmpty(options.CallbackUrl) || options.CallbackUrl.Contains(":0/", StringComparison.Ordinal))
        options.CallbackUrl = CallbackFrom(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault());

    app.Logger.LogInformation("Opus serves {Count} job definitions; data in {DataPath}", app.Services.GetRequiredService<Opus.Core.Definitions.DefinitionCatalog>().All.Count, options.FullDataPath);
});

app.MapGet("/", () => Results.Redirect("/rest")).AllowAnonymous();
app.MapGet("/health", () => Results.Text("ok\n")).AllowAnonymous();
app.MapJobEvents();
app.MapUws();
app.MapDefinitions();
app.MapStore();
app.MapProvenance();
app.MapScim();
app.MapClientApi();
app.MapTokens();
app.MapSignIn();

try
{
    await app.RunAsync();
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    Console.Error.WriteLine($"opus: {e.Failures.FirstOrDefault() ?? e.Message}");
    return 2;
}
catch (Opus.Core.Jobs.OpusValidationException e)
{
    // A setting found unusable while starting (a first admin's token too short): one line, not a crash.
    Console.Error.WriteLine($"opus: {e.Message}");
    return 2;
}

return 0;

// The first listening address as runners reach it, + /handler/job_event; null without one.
static string? CallbackFrom(string? urls)
{
    var address = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
    if (address is null)
        return null;
    var local = address.TrimEnd('/').Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://127.0.0.1");
    return $"{local}/handler/job_event";
}
