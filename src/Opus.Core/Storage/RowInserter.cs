using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Opus.Core.Storage;

/// <summary>
/// Inserts rows of one mapped entity type as SaveChanges writes them (the model's table, columns, value converters and
/// parameter types, so a new column is written without a change here), but with one prepared command and no change
/// tracking: on the creation path the tracking (a JSON snapshot per list column, change detection) cost more than the INSERT.
/// </summary>
public sealed class RowInserter
{
    private readonly string _sql;
    private readonly (IProperty Property, RelationalTypeMapping Mapping, string Parameter)[] _columns;

    public RowInserter(DbContext db, Type entityType)
    {
        var type = db.Model.FindEntityType(entityType) ?? throw new InvalidOperationException($"{entityType.Name} is not mapped");
        var sql = db.GetService<ISqlGenerationHelper>();
        var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        _columns = type.GetProperties()
            .Select((p, i) => (p, (RelationalTypeMapping)p.GetTypeMapping(), sql.GenerateParameterName($"p{i}")))
            .ToArray();
        _sql = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", _columns.Select(c => sql.DelimitIdentifier(c.Property.GetColumnName(table)!)))}) " +
            $"VALUES ({string.Join(", ", _columns.Select(c => c.Parameter))})";
    }

    /// <summary>Inserts the rows with the connection and transaction of <paramref name="db"/> (opened and begun by the caller).</summary>
    public async Task InsertAsync(DbContext db, IEnumerable<object> rows, CancellationToken cancellationToken = default)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = _sql;
        foreach (var row in rows)
        {
            command.Parameters.Clear();
            foreach (var (property, mapping, parameter) in _columns)
                command.Parameters.Add(mapping.CreateParameter(command, parameter, property.GetGetter().GetClrValue(row), property.IsNullable));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
