using System.Text.Json;
using Helpline.Data.Protection;
using Helpline.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Data;

/// <summary>
/// The field keys' life cycle as an operator lives it: a key file, <c>keys rotate</c>, a restart,
/// <c>keys reencrypt</c>, <c>keys status</c>; and an app that will not start without a key its data needs.
/// </summary>
public sealed class KeyRotationTests : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("helpline-keys-").FullName;
    private readonly List<HelplineApp> _apps = [];
    private string _database = "";

    private string KeyFile => Path.Combine(_directory, "field-keys.json");

    [Fact]
    public async Task AfterARotationNewValuesUseTheNewKeyAndOldOnesStillRead()
    {
        var first = AppOnKeyFile();
        await first.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()));
        var oldKey = CurrentKeyInFile();

        var (exit, output) = await KeysAsync(first, "rotate");

        Assert.Equal(0, exit);
        var newKey = CurrentKeyInFile();
        Assert.NotEqual(oldKey, newKey);
        Assert.Contains($"Field key {newKey} added", output);
        Assert.Equal(new[] { oldKey, newKey }.Order(), KeyIdsInFile().Order());

        // Restarted, the app writes under the new key and still reads what the old one wrote.
        var restarted = AppOnKeyFile(first.DatabasePath);
        await restarted.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid(), from: "+12125550188"));
        var numbers = RawValues("SELECT PhoneNumber FROM Callers ORDER BY Id");
        Assert.StartsWith($"hx1.{oldKey}.", numbers[0]);
        Assert.StartsWith($"hx1.{newKey}.", numbers[1]);
        Assert.Equal([CallerNumber, "+12125550188"], await restarted.WithDbAsync(db => db.Callers.OrderBy(c => c.Id).Select(c => c.PhoneNumber!).ToListAsync()));
        Assert.Contains(await restarted.WithDbAsync(db => db.AuditEntries.Select(a => a.Action).ToListAsync()), a => a == "keys.rotated");
    }

    [Fact]
    public async Task ReencryptingLeavesNoValueUnderTheOldKeyAndEveryValueStillReads()
    {
        var first = AppOnKeyFile();
        first.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero)); // closed: every call leaves a voicemail
        for (var i = 0; i < 7; i++)
        {
            var sid = NewCallSid();
            await first.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid, from: $"+1212555{i:0000}"));
            await first.PostTwilioAsync("/twilio/voice/voicemail", Inbound(sid, from: $"+1212555{i:0000}").With(
                ("RecordingUrl", $"https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{i:00000000000000000000000000000000}"), ("RecordingDuration", "20")));
        }
        // A member of staff's authenticator key: encrypted too, in a table whose key has three columns.
        await first.CreateStaffAsync("staff@test.example", Helpline.Accounts.Roles.Advisor);
        await using (var scope = first.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<Helpline.Accounts.StaffUser>>();
            await users.ResetAuthenticatorKeyAsync((await users.FindByEmailAsync("staff@test.example"))!);
        }
        var before = await ReadEverythingAsync(first);
        var oldKey = CurrentKeyInFile();
        await KeysAsync(first, "rotate");
        var restarted = AppOnKeyFile(first.DatabasePath);

        var (status, statusOutput) = await KeysAsync(restarted, "status");
        Assert.Equal(0, status);
        Assert.Contains($"Callers.PhoneNumber: {oldKey} 7", statusOutput);
        Assert.Contains("value(s) are under older keys", statusOutput);

        // Batches of 3: several transactions per column, and a second run finds nothing left to do.
        var (exit, output) = await KeysAsync(restarted, "reencrypt", "3");
        var (again, againOutput) = await KeysAsync(restarted, "reencrypt", "3");

        Assert.Equal(0, exit);
        Assert.Contains("Callers.PhoneNumber: 7 re-encrypted", output);
        Assert.Contains("Contacts.RecordingUrl: 7 re-encrypted", output);
        Assert.Contains("AspNetUserTokens.Value: 1 re-encrypted", output);
        Assert.Contains("Every value is under the current key.", output);
        Assert.Equal(0, again);
        Assert.Contains("0 value(s) re-encrypted", againOutput);
        var newKey = CurrentKeyInFile();
        foreach (var sql in new[] { "SELECT PhoneNumber FROM Callers", "SELECT Name FROM Callers WHERE Name IS NOT NULL", "SELECT RecordingUrl FROM Contacts WHERE RecordingUrl IS NOT NULL", "SELECT Value FROM AspNetUserTokens" })
            Assert.All(RawValues(sql), v => Assert.StartsWith($"hx1.{newKey}.", v));
        Assert.Equal(before, await ReadEverythingAsync(restarted));

        // The old key can now go: an app without it starts and reads everything. The old key was
        // recorded as in use, so that start scans, finds only the new key, and records that.
        RemoveKeyFromFile(oldKey);
        var withoutOldKey = AppOnKeyFile(first.DatabasePath);
        Assert.Equal(before, await ReadEverythingAsync(withoutOldKey));
        Assert.Contains(withoutOldKey.Logs.Lines, l => l.Contains($"Field keys: scanned every encrypted column") && l.Contains($"key(s) in use: {newKey}"));
        Assert.Equal([newKey], await RecordedKeysAsync(withoutOldKey));
        var audit = await withoutOldKey.WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "keys.reencrypted").Select(a => a.Details!).ToListAsync());
        Assert.Equal([$"22 value(s) re-encrypted under {newKey}; 0 unreadable", $"0 value(s) re-encrypted under {newKey}; 0 unreadable"], audit);
    }

    [Fact]
    public async Task AppRefusesToStartWhenTheDatabaseHoldsValuesUnderAKeyThatIsNotConfigured()
    {
        var first = AppOnKeyFile();
        await first.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()));
        var oldKey = CurrentKeyInFile();
        await KeysAsync(first, "rotate");
        RemoveKeyFromFile(oldKey); // the mistake: the old key dropped before re-encrypting

        var restarted = AppOnKeyFile(first.DatabasePath);
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await restarted.CreateClient().GetAsync("/healthz"));

        Assert.Contains($"'{oldKey}' (in Callers.Name, Callers.PhoneNumber)", error.Message);
        Assert.Contains("README, \"Keys\"", error.Message);
    }

    [Fact]
    public async Task ARestartTrustsTheRecordedKeysInsteadOfScanningEveryColumn()
    {
        var first = AppOnKeyFile();
        await first.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()));
        var key = CurrentKeyInFile();
        // A new database: scanned (nothing in use), then the current key recorded before any write.
        Assert.Contains(first.Logs.Lines, l => l.Contains("Field keys: scanned every encrypted column") && l.Contains("key(s) in use: none"));
        Assert.Equal([key], await RecordedKeysAsync(first));

        var restarted = AppOnKeyFile(first.DatabasePath);
        await restarted.CreateClient().GetAsync("/healthz");

        Assert.Contains(restarted.Logs.Lines, l => l.Contains("Field keys: the 1 key(s) recorded as in use are configured"));
        Assert.DoesNotContain(restarted.Logs.Lines, l => l.Contains("Field keys: scanned"));

        // A database from before the record (an upgrade): the first start scans and records what it finds.
        await restarted.WithDbAsync(db => db.FieldKeysInUse.ExecuteDeleteAsync());
        var upgraded = AppOnKeyFile(first.DatabasePath);
        await upgraded.CreateClient().GetAsync("/healthz");
        Assert.Contains(upgraded.Logs.Lines, l => l.Contains("Field keys: scanned every encrypted column") && l.Contains($"key(s) in use: {key}"));
        Assert.Equal([key], await RecordedKeysAsync(upgraded));
    }

    [Fact]
    public async Task AppRefusesToStartWithoutAnyKeyWhenTheDatabaseHoldsEncryptedValues()
    {
        var first = AppOnKeyFile();
        await first.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()));
        File.Delete(KeyFile);

        var restarted = AppOnKeyFile(first.DatabasePath, makeKeyFile: false);
        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await restarted.CreateClient().GetAsync("/healthz"));

        Assert.Contains("No field-encryption keys are configured", error.ToString());
        Assert.Contains("See README, \"Keys\"", error.ToString());
        Assert.False(File.Exists(KeyFile));
    }

    [Fact]
    public async Task RotateRefusesWhenTheCurrentKeyComesFromConfiguration()
    {
        var app = Track(new HelplineApp());
        app.Settings["Encryption:KeyFile"] = KeyFile;
        await app.CreateClient().GetAsync("/healthz");

        var (exit, output) = await KeysAsync(app, "rotate");

        Assert.Equal(2, exit);
        Assert.Contains("With keys in configuration, rotate there", output);
    }

    /// <summary>An app whose keys come from a key file only (made once, like an operator would), on its own or a given database.</summary>
    private HelplineApp AppOnKeyFile(string? databasePath = null, bool makeKeyFile = true)
    {
        if (makeKeyFile && !File.Exists(KeyFile))
            FieldKeyLoader.Write(FieldKeyRing.Generate(), KeyFile);
        var app = Track(new HelplineApp());
        app.Settings.Remove("Encryption:Keys:test1");
        app.Settings.Remove("Encryption:CurrentKeyId");
        app.Settings.Remove("Encryption:BlindIndexKey");
        app.Settings["Encryption:KeyFile"] = KeyFile;
        if (databasePath is not null)
            app.Settings["ConnectionStrings:Helpline"] = $"Data Source={databasePath}";
        _database = databasePath ?? app.DatabasePath;
        return app;
    }

    private HelplineApp Track(HelplineApp app)
    {
        _apps.Add(app);
        return app;
    }

    private static async Task<(int Exit, string Output)> KeysAsync(HelplineApp app, params string[] args)
    {
        app.CreateClient().Dispose(); // started
        var output = new StringWriter();
        var exit = await KeysCommand.RunAsync(app.Services, args, output, output);
        return (exit, output.ToString());
    }

    private static Task<List<string>> RecordedKeysAsync(HelplineApp app) =>
        app.WithDbAsync(db => db.FieldKeysInUse.OrderBy(k => k.KeyId).Select(k => k.KeyId).ToListAsync());

    private static Task<List<string>> ReadEverythingAsync(HelplineApp app) => app.WithDbAsync(async db =>
    {
        var callers = await db.Callers.AsNoTracking().OrderBy(c => c.Id).Select(c => $"{c.PhoneNumber}|{c.Name}").ToListAsync();
        var contacts = await db.Contacts.AsNoTracking().OrderBy(c => c.Id).Select(c => $"{c.RecordingUrl}|{c.Notes}").ToListAsync();
        var tokens = (await db.UserTokens.AsNoTracking().OrderBy(t => t.UserId).Select(t => new { t.Name, t.Value }).ToListAsync()).Select(t => $"{t.Name}={t.Value}");
        return (List<string>)[.. callers, .. contacts, .. tokens];
    });

    private List<string> RawValues(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_database};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read())
            values.Add(reader.GetString(0));
        return values;
    }

    private string CurrentKeyInFile() => JsonDocument.Parse(File.ReadAllText(KeyFile)).RootElement.GetProperty("currentKeyId").GetString()!;

    private List<string> KeyIdsInFile() => [.. JsonDocument.Parse(File.ReadAllText(KeyFile)).RootElement.GetProperty("keys").EnumerateObject().Select(p => p.Name)];

    private void RemoveKeyFromFile(string keyId)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(KeyFile))!;
        json["keys"]!.AsObject().Remove(keyId);
        File.WriteAllText(KeyFile, json.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
            await app.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
