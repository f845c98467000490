using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Opus.Bench;

/// <summary>
/// The references Opus is measured against, run as a child process of the bench (`Opus.Bench --reference hello|insert
/// --urls URL [--data FOLDER]`): a bare Kestrel hello-world, and a bare Kestrel that INSERTs one row per POST with
/// Microsoft.Data.Sqlite (WAL, synchronous=NORMAL, as Opus's SQLite) and answers 303, as a job creation does.
/// </summary>
public static class ReferenceServer
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kind = Value(args, "--reference");
        var builder = WebApplication.CreateSlimBuilder([$"--urls={Value(args, "--urls")}"]);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        switch (kind)
        {
            case "hello":
                app.MapGet("/", () => "Hello, world");
                break;
            case "insert":
                var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(Value(args, "--data"), "reference.db"), Pooling = true }.ToString();
                await using (var setup = new SqliteConnection(connectionString))
                {
                    await setup.OpenAsync();
                    await using var create = setup.CreateCommand();
                    create.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, definition TEXT NOT NULL, " +
                        "phase TEXT NOT NULL, created TEXT NOT NULL, parameters TEXT NOT NULL);";
                    await create.ExecuteNonQueryAsync();
                }

                app.MapPost("/", async (HttpContext context) =>
                {
                    var form = await context.Request.ReadFormAsync();
                    var id = Guid.NewGuid().ToString("N");
                    await using var connection = new SqliteConnection(connectionString);
                    await connection.OpenAsync();
                    await using var insert = connection.CreateCommand();
                    insert.CommandText = "PRAGMA synchronous = NORMAL; INSERT INTO jobs VALUES ($id, 'copy', 'PENDING', $created, $parameters)";
                    insert.Parameters.AddWithValue("$id", id);
                    insert.Parameters.AddWithValue("$created", DateTime.UtcNow.ToString("O"));
                    insert.Parameters.AddWithValue("$parameters", form["text"].ToString());
                    await insert.ExecuteNonQueryAsync();
                    context.Response.Headers.Location = $"/{id}";
                    return Results.StatusCode(StatusCodes.Status303SeeOther);
                });
                break;
            default:
                Console.Error.WriteLine("--reference hello|insert");
                return 2;
        }

        await app.RunAsync();
        return 0;
    }

    private static string Value(string[] args, string name) =>
        Array.IndexOf(args, name) is var at && at >= 0 && at + 1 < args.Length ? args[at + 1] : throw new ArgumentException($"{name} is missing");
}
