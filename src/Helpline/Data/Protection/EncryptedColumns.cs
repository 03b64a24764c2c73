using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Helpline.Data.Protection;

/// <summary>One encrypted column: where it is, the key of its rows, and the purpose bound into its values.</summary>
public sealed record EncryptedColumn(string Table, string Column, IReadOnlyList<string> KeyColumns, string Purpose)
{
    public string Name => $"{Table}.{Column}";
}

/// <summary>How many values of a column each key encrypted; <c>Unreadable</c> counts values not in the encrypted format.</summary>
public sealed record KeyUsage(EncryptedColumn Column, IReadOnlyDictionary<string, long> ByKey, long Unreadable);

/// <summary>What one re-encryption pass did to a column.</summary>
public sealed record Reencrypted(EncryptedColumn Column, long Done, long Failed);

/// <summary>
/// The encrypted columns of the database, read and rewritten with plain SQL on the stored text
/// (the key id is its prefix, <c>hx1.{keyId}.</c>), so a key can be checked for without decrypting
/// anything. Only <c>substr</c> and comparisons: the same SQL runs on SQLite and PostgreSQL.
/// </summary>
public sealed class EncryptedColumns(HelplineDb db)
{
    private const string Prefix = "hx1.";

    /// <summary>Every property stored through <see cref="EncryptedValueConverter"/>, found in the model.</summary>
    public IReadOnlyList<EncryptedColumn> All { get; } = [.. db.Model.GetEntityTypes()
        .SelectMany(entity => entity.GetProperties()
            .Where(p => p.GetValueConverter() is EncryptedValueConverter)
            .Select(p => new EncryptedColumn(
                entity.GetTableName()!,
                p.GetColumnName(),
                [.. entity.FindPrimaryKey()!.Properties.Select(k => k.GetColumnName())],
                ((EncryptedValueConverter)p.GetValueConverter()!).Purpose)))
        .OrderBy(c => c.Name, StringComparer.Ordinal)];

    /// <summary>
    /// Every key id that encrypted some value in the database, with the columns it was found in. One
    /// query per key id found in each column, plus one per column that reads all of it (the scan).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, List<string>>> KeyIdsInUseAsync(CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var column in All)
        {
            var seen = new List<string>();
            while (await FirstOtherValueAsync(column, seen, cancellationToken) is { } value)
            {
                var keyId = FieldProtector.KeyIdOf(value);
                seen.Add(keyId!);
                if (!found.TryGetValue(keyId!, out var columns))
                    found[keyId!] = columns = [];
                columns.Add(column.Name);
            }
        }
        return found;
    }

    /// <summary>Replaces the recorded keys in use with <paramref name="keyIds"/> (after a scan found exactly these).</summary>
    public async Task RecordKeysInUseAsync(IEnumerable<string> keyIds, DateTime now, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
        await db.FieldKeysInUse.ExecuteDeleteAsync(cancellationToken);
        db.FieldKeysInUse.AddRange(keyIds.Distinct(StringComparer.Ordinal).Select(id => new FieldKeyInUse { KeyId = id, RecordedAt = now }));
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Records the current key before this process writes with it. Idempotent, and safe when several
    /// nodes start at once: the insert is skipped where the row exists.
    /// </summary>
    public Task RecordCurrentKeyAsync(string keyId, DateTime now, CancellationToken cancellationToken = default) =>
        db.Database.ExecuteSqlRawAsync(
            """INSERT INTO "FieldKeysInUse" ("KeyId", "RecordedAt") VALUES ({0}, {1}) ON CONFLICT ("KeyId") DO NOTHING""",
            [keyId, now], cancellationToken);

    /// <summary>How many values each key encrypted, column by column.</summary>
    public async Task<IReadOnlyList<KeyUsage>> UsageAsync(IReadOnlyCollection<string> configured, CancellationToken cancellationToken = default)
    {
        var usage = new List<KeyUsage>();
        foreach (var column in All)
        {
            var byKey = new Dictionary<string, long>(StringComparer.Ordinal);
            var seen = new List<string>();
            foreach (var keyId in configured)
            {
                byKey[keyId] = await CountAsync(column, keyId, cancellationToken);
                seen.Add(keyId);
            }
            while (await FirstOtherValueAsync(column, seen, cancellationToken) is { } value && FieldProtector.KeyIdOf(value) is { } keyId)
            {
                byKey[keyId] = await CountAsync(column, keyId, cancellationToken);
                seen.Add(keyId);
            }
            var all = await ScalarAsync($"SELECT COUNT(*) FROM {Quote(column.Table)} WHERE {Quote(column.Column)} IS NOT NULL", [], cancellationToken);
            usage.Add(new KeyUsage(column, byKey, all - byKey.Values.Sum()));
        }
        return usage;
    }

    /// <summary>
    /// Rewrites, under the current key, every value of the column that another key encrypted, a batch
    /// per transaction, in key order. Each row is updated only if it still holds the value read, so a
    /// change made meanwhile by the app is never overwritten. A value that cannot be read (its key is
    /// missing, or it is damaged) is counted and skipped. Rewritten rows leave the selection, so the
    /// next batch starts after the rows skipped so far (an offset: keys may span several columns).
    /// </summary>
    public async Task<Reencrypted> ReencryptAsync(EncryptedColumn column, FieldProtector protector, int batchSize, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var current = Prefix + protector.Keys.CurrentKeyId + ".";
        var keys = string.Join(", ", column.KeyColumns.Select(Quote));
        long done = 0, failed = 0, skipped = 0;
        while (true)
        {
            var batch = new List<(object[] Key, string Value)>();
            await using (var read = await CommandAsync(
                $"SELECT {keys}, {Quote(column.Column)} FROM {Quote(column.Table)} " +
                $"WHERE {Quote(column.Column)} IS NOT NULL AND substr({Quote(column.Column)}, 1, {current.Length}) <> @current " +
                $"ORDER BY {keys} LIMIT @batch OFFSET @skipped",
                [("current", current), ("batch", batchSize), ("skipped", skipped)], cancellationToken))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                    batch.Add(([.. column.KeyColumns.Select((_, i) => reader.GetValue(i))], reader.GetString(column.KeyColumns.Count)));
            }
            if (batch.Count == 0)
                return new Reencrypted(column, done, failed);

            await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
            foreach (var (key, value) in batch)
            {
                string rewritten;
                try
                {
                    rewritten = protector.Protect(protector.Unprotect(value, column.Purpose), column.Purpose);
                }
                catch (System.Security.Cryptography.CryptographicException)
                {
                    failed++;
                    skipped++;
                    continue;
                }
                var where = string.Join(" AND ", column.KeyColumns.Select((k, i) => $"{Quote(k)} = @key{i}"));
                await using var update = await CommandAsync(
                    $"UPDATE {Quote(column.Table)} SET {Quote(column.Column)} = @new WHERE {where} AND {Quote(column.Column)} = @old",
                    [("new", rewritten), ("old", value), .. key.Select((k, i) => ($"key{i}", k))], cancellationToken);
                var updated = await update.ExecuteNonQueryAsync(cancellationToken);
                done += updated;
                skipped += 1 - updated; // changed by the app meanwhile: left as it is now
            }
            await transaction.CommitAsync(cancellationToken);
            progress?.Invoke(done);
        }
    }

    private async Task<string?> FirstOtherValueAsync(EncryptedColumn column, IReadOnlyList<string> keyIds, CancellationToken cancellationToken)
    {
        var parameters = new List<(string, object)>();
        // Only values in the encrypted format: one that is not would name no key and stop the search.
        var where = $"substr({Quote(column.Column)}, 1, {Prefix.Length}) = '{Prefix}'";
        for (var i = 0; i < keyIds.Count; i++)
        {
            var prefix = Prefix + keyIds[i] + ".";
            where += $" AND substr({Quote(column.Column)}, 1, {prefix.Length}) <> @k{i}";
            parameters.Add(($"k{i}", prefix));
        }
        await using var command = await CommandAsync($"SELECT {Quote(column.Column)} FROM {Quote(column.Table)} WHERE {where} LIMIT 1", parameters, cancellationToken);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private Task<long> CountAsync(EncryptedColumn column, string keyId, CancellationToken cancellationToken)
    {
        var prefix = Prefix + keyId + ".";
        return ScalarAsync($"SELECT COUNT(*) FROM {Quote(column.Table)} WHERE substr({Quote(column.Column)}, 1, {prefix.Length}) = @prefix", [("prefix", prefix)], cancellationToken);
    }

    private async Task<long> ScalarAsync(string sql, IReadOnlyList<(string, object)> parameters, CancellationToken cancellationToken)
    {
        await using var command = await CommandAsync(sql, parameters, cancellationToken);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken));
    }

    private async Task<DbCommand> CommandAsync(string sql, IReadOnlyList<(string Name, object Value)> parameters, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open)
            await db.Database.OpenConnectionAsync(cancellationToken);
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";
}
