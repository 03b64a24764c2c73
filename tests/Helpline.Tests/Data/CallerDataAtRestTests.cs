using System.Security.Cryptography;
using System.Text;
using Helpline.Data.Protection;
using Helpline.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Data;

public sealed class CallerDataAtRestTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task DatabaseFileHoldsNeitherTheCallersNumberNorTheirName()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var sid = NewCallSid();
        const string recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0123456789abcdef0123456789abcdef";
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));
        await _app.PostTwilioAsync("/twilio/voice/voicemail", Inbound(sid).With(("RecordingUrl", recording), ("RecordingDuration", "20")));

        // The app reads them back in the clear...
        var caller = await _app.WithDbAsync(db => db.Callers.AsNoTracking().SingleAsync());
        Assert.Equal(CallerNumber, caller.PhoneNumber);
        Assert.Equal(CallerName, caller.Name);
        Assert.Equal(recording, await _app.WithDbAsync(db => db.Contacts.Select(c => c.RecordingUrl).SingleAsync()));

        // ...while the file on disk (and its write-ahead log) holds none of them.
        var bytes = RawDatabaseBytes();
        Assert.True(bytes.Length > 4096);
        foreach (var secret in new[] { CallerNumber, CallerNumber[1..], CallerNumber[2..], "555-0147", CallerName, "Zorblax", "RE0123456789abcdef0123456789abcdef" })
        {
            Assert.False(Contains(bytes, Encoding.UTF8.GetBytes(secret)), $"The database file contains '{secret}' in UTF-8.");
            Assert.False(Contains(bytes, Encoding.Unicode.GetBytes(secret)), $"The database file contains '{secret}' in UTF-16.");
        }
    }

    [Fact]
    public async Task StoredValuesNameTheirKeyAndPhoneLookupsUseAKeyedHash()
    {
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()));

        await using var connection = new SqliteConnection($"Data Source={_app.DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT PhoneNumber, Name, PhoneHash FROM Callers";
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.StartsWith("hx1.test1.", reader.GetString(0));
        Assert.StartsWith("hx1.test1.", reader.GetString(1));
        var blindIndex = HMACSHA256.HashData(
            Convert.FromBase64String(_app.Settings["Encryption:BlindIndexKey"]!), Encoding.UTF8.GetBytes("phone:" + CallerNumber));
        Assert.Equal(Convert.ToBase64String(blindIndex), reader.GetString(2));
    }

    [Fact]
    public async Task SecondCallFromTheSameNumberFindsTheSameCaller()
    {
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()));
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()));

        Assert.Equal(1, await _app.WithDbAsync(db => db.Callers.CountAsync()));
        Assert.Equal(2, await _app.WithDbAsync(db => db.Contacts.CountAsync(c => c.CallerId != null)));
    }

    [Fact]
    public void EncryptedValueCannotBeReadUnderAnotherColumnOrAfterTampering()
    {
        var protector = new FieldProtector(FieldKeyRing.Generate());
        var stored = protector.Protect(CallerNumber, "Caller.PhoneNumber");

        Assert.Equal(CallerNumber, protector.Unprotect(stored, "Caller.PhoneNumber"));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(stored, "Caller.Name"));
        var tampered = stored[..^2] + (stored[^2] == 'A' ? "B" : "A") + stored[^1];
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(tampered, "Caller.PhoneNumber"));
        Assert.NotEqual(stored, protector.Protect(CallerNumber, "Caller.PhoneNumber"));
    }

    [Fact]
    public void ValueFromAKeyThatIsNotConfiguredSaysWhichKeyIsMissing()
    {
        var old = new FieldProtector(FieldKeyRing.Generate());
        var stored = old.Protect("note", "Contact.Notes");
        var other = new FieldProtector(new FieldKeyRing("k2", new Dictionary<string, byte[]> { ["k2"] = RandomNumberGenerator.GetBytes(32) }, RandomNumberGenerator.GetBytes(32)));

        var error = Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(stored, "Contact.Notes"));
        Assert.Contains(old.Keys.CurrentKeyId, error.Message);
    }

    private byte[] RawDatabaseBytes()
    {
        using var all = new MemoryStream();
        foreach (var file in new[] { _app.DatabasePath, _app.DatabasePath + "-wal" }.Where(File.Exists))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.CopyTo(all);
        }
        return all.ToArray();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
