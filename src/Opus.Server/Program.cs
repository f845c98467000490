using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Opus.Core;
using Opus.Core.Users;
using Opus.Server;
using Opus.Server.Auth;
using Opus.Server.Client;
using Opus.Server.Edge;
using Opus.Server.Endpoints;
using Opus.Server.Operations;

// Nothing the server creates is for other users: the data folder's files are its alone.
PrivateFiles.RestrictUmask();

// appsettings.json is found beside the server, whatever the working directory.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
AuthOptions auth;
try
{
    // The addresses and certificates first: the callback address below is made from the first address.
    ListenCheck.Check(builder.Configuration, builder.Environment.ContentRootPath);
    builder.Services.AddOpus(builder.Configuration, options =>
    {
        // The samples (copy, fail, sleep) are for trying Opus out: in Development, or when asked for.
        if (options.DefinitionsPath is null && (options.LoadSamples || builder.Environment.IsDevelopment()))
            options.DefinitionsPath = Path.Combine(AppContext.BaseDirectory, "definitions");
        // Runners call back to this server unless the configuration names another address; known before any job is resubmitted.
        options.CallbackUrl ??= options.PublicUrl is { Length: > 0 } publicUrl
            ? $"{publicUrl.TrimEnd('/')}/handler/job_event"
            : CallbackFrom(builder.Configuration["urls"]);
    });
    auth = builder.Configuration.GetSection("Opus:Auth").Get<AuthOptions>() ?? new AuthOptions();
    builder.AddOpusOperations();
    builder.AddOpusCors();
}
catch (OpusConfigurationException e)
{
    // A value the server cannot use stops it before it creates anything: one line naming the key.
    Console.Error.WriteLine($"opus: {e.Message}");
    return 2;
}

builder.AddOpusEdge();
builder.Services.AddHostedService<AdminBootstrap>();
builder.Services.AddOpusAuth(auth);
builder.Services.AddSingleton<Opus.Core.Jobs.ResultLinkSigner>();
builder.Services.AddProblemDetails();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ServerJson.Default));
builder.Services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>().Configure<OpusOptions>((kestrel, options) =>
{
    kestrel.AddServerHeader = false;
    // Uploads are limited by Opus:Inputs:MaxBytes (a clear 400), not by Kestrel's 30 MB default.
    kestrel.Limits.MaxRequestBodySize = options.Inputs.MaxBytes + (16 << 20);
});
builder.Services.AddOptions<Microsoft.AspNetCore.Http.Features.FormOptions>().Configure<OpusOptions>((form, options) => form.MultipartBodyLengthLimit = options.Inputs.MaxBytes + (16 << 20));

var app = builder.Build();
var options = app.Services.GetRequiredService<OpusOptions>();
// The access log is outermost, so it records the final status of every answer.
app.UseRequestLog();
// Scheme, host, path prefix and client address as the outside sees them, before anything reads them.
app.UseOpusEdge();
app.UseMiddleware<ErrorMessages>();
// Other origins' preflights are answered before authentication (and before the client's files, which a portal may load).
app.UseOpusCors();
// The web client's files at /client/, before authentication (they hold no secret).
app.UseOpusClient();
// A signed result link needs no credentials.
app.UseSignedResultLinks();
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
        options.CallbackUrl = CallbackFrom(string.Join(';', app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []));

    app.Logger.LogInformation("Opus serves {Count} job definitions; data in {DataPath}", app.Services.GetRequiredService<Opus.Core.Definitions.DefinitionCatalog>().All.Count, options.FullDataPath);
});

app.MapRoot();
app.MapGet("/health", () => Results.Text("ok\n")).AllowAnonymous();
app.MapJobEvents();
app.MapStaging();
app.MapUws();
app.MapResultLinks();
app.MapDefinitions();
app.MapStore();
app.MapProvenance();
app.MapScim();
app.MapClientApi();
app.MapTokens();
app.MapSignIn();
app.MapOpusOperations();

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

// The first listening address as runners reach it (a plain http one first: a runner's curl need not trust the
// server's certificate), + /handler/job_event; null without one.
static string? CallbackFrom(string? urls)
{
    var addresses = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
    var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
    if (address is null)
        return null;
    var local = address.TrimEnd('/').Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1").Replace("://[::]", "://127.0.0.1");
    return $"{local}/handler/job_event";
}
