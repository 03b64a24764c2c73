using Helpline.Data;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Helpline.Tests.Data;

public sealed class StartupTests
{
    [Fact]
    public async Task AppRefusesToStartWithoutFieldEncryptionKeys()
    {
        await using var app = new HelplineApp();
        app.Settings.Remove("Encryption:Keys:test1");
        app.Settings.Remove("Encryption:CurrentKeyId");
        app.Settings.Remove("Encryption:BlindIndexKey");
        app.Settings["Encryption:KeyFile"] = "App_Data/keys/missing-field-keys.json";
        app.Settings["Encryption:CreateKeyFileIfMissing"] = "true"; // ignored outside Development

        var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await app.CreateClient().GetAsync("/healthz"));

        Assert.Contains("No field-encryption keys are configured", error.ToString());
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "App_Data/keys/missing-field-keys.json")));
    }

    [Fact]
    public async Task AppRefusesToStartWithAThreeDigitCrisisLine()
    {
        await using var app = new HelplineApp();
        app.Settings["Helpline:CrisisLineNumber"] = "988";

        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(async () => await app.CreateClient().GetAsync("/healthz"));

        Assert.Contains("three-digit codes such as 988 cannot be dialled", error.Message);
    }

    [Fact]
    public async Task AppRefusesToStartWithOpeningHoursItCannotRead()
    {
        await using var app = new HelplineApp();
        app.Settings["Helpline:OpeningHours:Monday"] = "9am to 5pm";

        var error = await Assert.ThrowsAnyAsync<OptionsValidationException>(async () => await app.CreateClient().GetAsync("/healthz"));

        Assert.Contains("Helpline:OpeningHours:Monday", error.Message);
    }

    [Fact]
    public async Task AppRefusesToChangeThePublishedTextOfADisclosureVersion()
    {
        await using (var first = new HelplineApp())
        {
            await first.CreateClient().GetAsync("/healthz");
            await using var second = new HelplineApp();
            second.Settings["ConnectionStrings:Helpline"] = first.Settings["ConnectionStrings:Helpline"];
            second.Settings["Disclosure:English"] = "A different text under the same version.";

            var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await second.CreateClient().GetAsync("/healthz"));

            Assert.Contains("was published with a different text", error.Message);
        }
    }

    [Fact]
    public async Task MigrationsMatchTheModel()
    {
        await using var app = new HelplineApp();
        await app.CreateClient().GetAsync("/healthz");
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();

        Assert.False(db.Database.HasPendingModelChanges(), "The model has changed since the last migration: add one (see HelplineDb's doc comment).");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
#if POSTGRES
        Assert.IsType<PostgresHelplineDb>(db);
#else
        Assert.IsType<SqliteHelplineDb>(db);
        Assert.Equal("wal", await db.Database.SqlQueryRaw<string>("PRAGMA journal_mode").AsAsyncEnumerable().FirstAsync());
#endif
    }

    [Fact]
    public async Task AuditTrailCannotBeRewrittenEvenWithRawSql()
    {
        await using var app = new HelplineApp();
        await app.CreateClient().GetAsync("/healthz");
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        db.AuditEntries.Add(new Helpline.Audit.AuditEntry { At = DateTime.UtcNow, Action = "contact.viewed", ContactId = 1 });
        await db.SaveChangesAsync();

        // Quoted names, so the statements reach the table on PostgreSQL too (and fail there only for the trigger).
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("UPDATE \"AuditEntries\" SET \"Action\" = 'nothing'"));
        Assert.Contains("append-only", refused.Message);
        refused = await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditEntries\""));
        Assert.Contains("append-only", refused.Message);
#if POSTGRES
        refused = await Assert.ThrowsAnyAsync<Exception>(() => db.Database.ExecuteSqlRawAsync("TRUNCATE \"AuditEntries\""));
        Assert.Contains("append-only", refused.Message);
#endif
        var entry = await db.AuditEntries.SingleAsync();
        entry.Action = "rewritten";
        Assert.Throws<InvalidOperationException>(() => db.SaveChanges());
        Assert.Equal("contact.viewed", await db.AuditEntries.AsNoTracking().Select(a => a.Action).SingleAsync());
    }
}
