using System.Globalization;
using Helpline.Audit;
using Microsoft.Extensions.Options;

namespace Helpline.Data.Protection;

/// <summary>
/// <c>keys status</c>, <c>keys rotate</c> and <c>keys reencrypt [BATCH]</c>: the field-encryption
/// keys' life cycle, run with the app's own settings. Rotation and re-encryption are audited.
/// </summary>
public static class KeysCommand
{
    public const string Usage =
        "keys status               how many values each key encrypted, column by column\n" +
        "       keys rotate               add a new key to the key file and make it current (old keys are kept)\n" +
        "       keys reencrypt [BATCH]    rewrite every value under the current key, BATCH rows a transaction (default 500)";

    public static Task<int> RunAsync(WebApplication app, string[] args) => RunAsync(app.Services, args, Console.Out, Console.Error);

    /// <summary>The command on any host's services (tests run it on theirs), writing to the given output.</summary>
    public static async Task<int> RunAsync(IServiceProvider app, string[] args, TextWriter output, TextWriter errors)
    {
        var console = new Output(output, errors);
        switch (args)
        {
            case ["status"]:
                return await StatusAsync(app, console);
            case ["rotate"]:
                return await RotateAsync(app, console);
            case ["reencrypt"]:
                return await ReencryptAsync(app, console, 500);
            case ["reencrypt", var batchText] when int.TryParse(batchText, CultureInfo.InvariantCulture, out var batch) && batch is >= 1 and <= 100_000:
                return await ReencryptAsync(app, console, batch);
            default:
                errors.WriteLine("Usage: " + Usage);
                return 2;
        }
    }

    private sealed record Output(TextWriter Out, TextWriter Error);

    private static async Task<int> StatusAsync(IServiceProvider app, Output console)
    {
        await using var scope = app.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var keys = db.Protector.Keys;
        console.Out.WriteLine($"Current key: {keys.CurrentKeyId}. Configured keys: {string.Join(", ", keys.KeyIds.Order(StringComparer.Ordinal))}.");
        var usage = await scope.ServiceProvider.GetRequiredService<EncryptedColumns>().UsageAsync(keys.KeyIds);
        foreach (var column in usage)
        {
            var counts = column.ByKey.Where(k => k.Value > 0 || k.Key == keys.CurrentKeyId)
                .Select(k => $"{k.Key} {k.Value:N0}" + (keys.TryGetKey(k.Key, out _) ? "" : " (key not configured!)"));
            console.Out.WriteLine($"  {column.Column.Name}: {string.Join(", ", counts)}" + (column.Unreadable > 0 ? $", not in the encrypted format {column.Unreadable:N0}" : ""));
        }
        var totals = usage.SelectMany(u => u.ByKey).GroupBy(k => k.Key).Select(g => (Key: g.Key, Count: g.Sum(k => k.Value))).OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        console.Out.WriteLine("Values per key: " + string.Join(", ", totals.Select(t => $"{t.Key} {t.Count:N0}")) + ".");
        var old = totals.Where(t => t.Key != keys.CurrentKeyId).Sum(t => t.Count);
        console.Out.WriteLine(old == 0 ? "Every value is under the current key." : $"{old:N0} value(s) are under older keys: run 'keys reencrypt' to move them to {keys.CurrentKeyId}.");
        return 0;
    }

    private static async Task<int> RotateAsync(IServiceProvider app, Output console)
    {
        var options = app.GetRequiredService<IOptions<EncryptionOptions>>().Value;
        var path = FieldKeyLoader.KeyFilePath(options, app.GetRequiredService<DataDirectory>());
        if (path is null || !File.Exists(path))
        {
            console.Error.WriteLine("keys rotate works on the key file (Encryption:KeyFile), and there is none" + (path is null ? "." : $" at {path}.") +
                " With keys in configuration, rotate there: add Encryption:Keys:<new id> (base64 of 32 random bytes, e.g. from 'openssl rand -base64 32'), " +
                "set Encryption:CurrentKeyId to it, keep the old keys, and restart. See README, \"Keys\".");
            return 2;
        }
        if (!string.IsNullOrEmpty(options.CurrentKeyId))
        {
            console.Error.WriteLine($"Encryption:CurrentKeyId is set in configuration ({options.CurrentKeyId}) and would override the key file's current key. " +
                "Remove that setting to rotate in the key file, or rotate in configuration instead (README, \"Keys\").");
            return 2;
        }

        var time = app.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var before = FieldKeyRing.FromJson(await File.ReadAllTextAsync(path), path);
        var after = before.WithNewCurrentKey(time);
        FieldKeyLoader.Write(after, path);

        await AuditAsync(app, "keys.rotated", $"new current field key {after.CurrentKeyId} (was {before.CurrentKeyId}); kept {string.Join(", ", before.KeyIds.Order(StringComparer.Ordinal))}");
        console.Out.WriteLine($"Field key {after.CurrentKeyId} added to {path} and made current; {string.Join(", ", before.KeyIds.Order(StringComparer.Ordinal))} kept.");
        console.Out.WriteLine("Next: 1. back up the key file now (README, \"Keys\"); 2. restart every app instance, so new values are written under the new key; 3. run 'keys reencrypt'.");
        return 0;
    }

    private static async Task<int> ReencryptAsync(IServiceProvider app, Output console, int batchSize)
    {
        await using var scope = app.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var columns = scope.ServiceProvider.GetRequiredService<EncryptedColumns>();
        var protector = db.Protector;
        console.Out.WriteLine($"Re-encrypting under {protector.Keys.CurrentKeyId}, {batchSize:N0} rows a transaction. Safe to stop and run again.");
        var results = new List<Reencrypted>();
        foreach (var column in columns.All)
        {
            var result = await columns.ReencryptAsync(column, protector, batchSize, done => console.Error.Write($"\r  {column.Name}: {done:N0}"));
            console.Error.Write("\r");
            console.Out.WriteLine($"  {column.Name}: {result.Done:N0} re-encrypted" + (result.Failed > 0 ? $", {result.Failed:N0} could not be read (missing key or damaged value)" : ""));
            results.Add(result);
        }
        var done = results.Sum(r => r.Done);
        var failed = results.Sum(r => r.Failed);
        await AuditAsync(app, "keys.reencrypted", $"{done} value(s) re-encrypted under {protector.Keys.CurrentKeyId}; {failed} unreadable");
        console.Out.WriteLine($"{done:N0} value(s) re-encrypted under {protector.Keys.CurrentKeyId}." + (failed > 0 ? $" {failed:N0} could not be read: see 'keys status'." : ""));
        return failed > 0 ? 1 : await StatusAsync(app, console);
    }

    private static async Task AuditAsync(IServiceProvider app, string action, string details)
    {
        await using var scope = app.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        db.AuditEntries.Add(new AuditEntry { At = app.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, UserName = "keys command", Action = action, Details = details });
        await db.SaveChangesAsync();
    }
}
