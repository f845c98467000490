using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Opus.Core.Storage;

/// <summary>
/// Reads one row of a mapped entity type by its key as EF Core would materialize it (the model's table, columns and
/// value converters, so a new column is read without a change here), over a plain pooled connection: for the hottest
/// read (every GET of a job), where EF's query pipeline, its pooled context and the functions it registers on each
/// connection open cost more than the SELECT. No tracking, as the EF reads it replaces. Disposing closes the
/// connections it keeps.
/// </summary>
public sealed class RowReader<T> : IDisposable where T : class
{
    private readonly DbProviderFactory _provider;
    private readonly string _connectionString;
    private readonly string _sql;
    private readonly string _keyParameter;
    private readonly Func<T> _create;
    private readonly Column[] _columns;

    private sealed record Column(Action<T, object?> Set, Type ProviderType, ValueConverter? Converter);

    public RowReader(DbContext db)
    {
        var type = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not mapped");
        var key = type.FindPrimaryKey()?.Properties is [var single] ? single : throw new InvalidOperationException($"{typeof(T).Name} has no single-column key");
        var sql = db.GetService<ISqlGenerationHelper>();
        var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var properties = type.GetProperties().ToList();
        _provider = DbProviderFactories.GetFactory(db.Database.GetDbConnection()) ?? throw new InvalidOperationException("the database provider has no factory");
        // The configured string (with its password), not the one the open connection shows.
        _connectionString = db.Database.GetConnectionString() ?? throw new InvalidOperationException("the database has no connection string");
        _keyParameter = sql.GenerateParameterName("key");
        _sql = $"SELECT {string.Join(", ", properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))} " +
            $"FROM {sql.DelimitIdentifier(table.Name, table.Schema)} WHERE {sql.DelimitIdentifier(key.GetColumnName(table)!)} = {_keyParameter}";
        _create = Expression.Lambda<Func<T>>(Expression.New(typeof(T))).Compile();
        _columns = properties.Select(p =>
        {
            var converter = p.GetTypeMapping().Converter;
            var providerType = converter?.ProviderClrType ?? p.ClrType;
            return new Column(Setter(p), Nullable.GetUnderlyingType(providerType) ?? providerType, converter);
        }).ToArray();
    }

    private static Action<T, object?> Setter(IProperty property)
    {
        var entity = Expression.Parameter(typeof(T));
        var value = Expression.Parameter(typeof(object));
        var target = property.PropertyInfo ?? throw new InvalidOperationException($"{typeof(T).Name}.{property.Name} is not a property");
        return Expression.Lambda<Action<T, object?>>(
            Expression.Assign(Expression.Property(entity, target), Expression.Convert(value, target.PropertyType)), entity, value).Compile();
    }

    // SQLite compiles a statement anew for every command, and compiling this SELECT cost more than running it:
    // a few connections are kept open with the statement prepared. Between reads they hold no read transaction
    // (the statement is reset), so checkpoints are not held back. PostgreSQL's connections go back to Npgsql's pool.
    private const int KeptPrepared = 8;
    private readonly ConcurrentQueue<DbCommand> _prepared = new();

    /// <summary>The row with this key, or null.</summary>
    public async Task<T?> FindAsync(object key, CancellationToken cancellationToken = default)
    {
        var command = _prepared.TryDequeue(out var ready) ? ready : await PrepareAsync(cancellationToken);
        var keep = command.Connection is SqliteConnection;
        try
        {
            command.Parameters[0].Value = key;
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
            return await ReadAsync(reader, cancellationToken);
        }
        catch
        {
            keep = false;
            throw;
        }
        finally
        {
            if (keep && _prepared.Count < KeptPrepared)
                _prepared.Enqueue(command);
            else
                await DisposeAsync(command);
        }
    }

    private async Task<DbCommand> PrepareAsync(CancellationToken cancellationToken)
    {
        var connection = _provider.CreateConnection()!;
        connection.ConnectionString = _connectionString;
        await connection.OpenAsync(cancellationToken);
        var command = connection.CreateCommand();
        command.CommandText = _sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = _keyParameter;
        parameter.Value = "";
        command.Parameters.Add(parameter);
        if (connection is SqliteConnection)
            await command.PrepareAsync(cancellationToken);
        return command;
    }

    private static async Task DisposeAsync(DbCommand command)
    {
        var connection = command.Connection;
        await command.DisposeAsync();
        if (connection is not null)
            await connection.DisposeAsync();
    }

    public void Dispose()
    {
        while (_prepared.TryDequeue(out var command))
        {
            var connection = command.Connection;
            command.Dispose();
            connection?.Dispose();
        }
    }

    private async Task<T?> ReadAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        var row = _create();
        for (var i = 0; i < _columns.Length; i++)
        {
            var column = _columns[i];
            object? value = null;
            if (!reader.IsDBNull(i))
            {
                value = reader.GetValue(i);
                // SQLite hands back its storage classes (INTEGER as long): the type the column maps to.
                if (value.GetType() != column.ProviderType)
                    value = Convert.ChangeType(value, column.ProviderType, System.Globalization.CultureInfo.InvariantCulture);
                if (column.Converter is { } converter)
                    value = converter.ConvertFromProvider(value);
            }

            column.Set(row, value);
        }

        return row;
    }
}
