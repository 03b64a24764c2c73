using System.Net;
using Helpline.Accounts;
using Helpline.Data;
using Helpline.Data.Protection;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Data;

/// <summary>
/// Everything the app writes goes in one data directory, so the install can be read-only and one
/// folder is what to back up: the SQLite file, the Data Protection keys, a key file it makes.
/// </summary>
public sealed class DataDirectoryTests
{
    [Fact]
    public async Task TheAppWritesOnlyInItsDataDirectoryNeverInItsInstall()
    {
        var data = Directory.CreateTempSubdirectory("helpline-data-").FullName;
        try
        {
            await using var app = new HelplineApp();
            // Only the data directory is named: the database and the keys take their places in it.
            app.Settings["DataDirectory"] = data;
            app.Settings["ConnectionStrings:Helpline"] = "";
            app.Settings["DataProtection:KeysDirectory"] = "";
            app.Settings["Simulator:Enabled"] = "true";
            var install = app.Services.GetRequiredService<IHostEnvironment>().ContentRootPath;
            var before = Snapshot(install);

            // A day's work touches every store: a staff sign-in (cookie keys), a call, a form asking for a callback.
            await app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
            var advisor = await app.SignInAsync("advisor@test.example");
            Assert.Equal(HttpStatusCode.OK, (await advisor.Browser.GetAsync("/staff")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()))).StatusCode);
            var browser = app.CreateBrowser();
            var posted = await browser.PostAsync("/get-help", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Name"] = "Sam", ["Phone"] = "(212) 555-0147", ["For"] = "Self", ["Substance"] = "Fentanyl", ["When"] = "asap",
                ["TimeZone"] = "America/New_York", ["MayCall"] = "true", ["__RequestVerificationToken"] = await browser.TokenAsync("/get-help"),
            }));
            Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
            Assert.Equal(1, await app.WithDbAsync(db => db.Callbacks.CountAsync()));

            Assert.True(File.Exists(Path.Combine(data, "helpline.db")), "the database is in the data directory");
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(data, "dataprotection-keys"), "key-*.xml"));
            Assert.Equal(before, Snapshot(install));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void AKeyFileMadeInDevelopmentIsWrittenInTheDataDirectory()
    {
        var data = Directory.CreateTempSubdirectory("helpline-data-").FullName;
        try
        {
            var environment = new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = Environments.Development, ContentRootPath = "/nonexistent-install" };
            var keys = FieldKeyLoader.Load(new EncryptionOptions { CreateKeyFileIfMissing = true }, new DataDirectory(data), environment, NullLogger.Instance);

            Assert.True(File.Exists(Path.Combine(data, "keys", "field-keys.json")));
            Assert.Equal(keys.CurrentKeyId, FieldKeyLoader.Load(new EncryptionOptions(), new DataDirectory(data), environment, NullLogger.Instance).CurrentKeyId);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, null, null, "/srv/helpline/App_Data")]
    [InlineData("/var/lib/helpline", null, null, "/var/lib/helpline")]
    [InlineData("state", null, null, "/srv/helpline/state")]
    [InlineData(null, "Data Source=/var/lib/helpline/helpline.db", null, "/var/lib/helpline")]
    [InlineData(null, "Data Source=db/helpline.db", null, "/srv/helpline/db")]
    [InlineData("/data", "Data Source=/elsewhere/helpline.db", null, "/data")]
    [InlineData(null, "Host=db;Database=helpline", "Postgres", "/srv/helpline/App_Data")]
    public void TheDataDirectoryIsTheOneNamedElseBesideTheDatabase(string? named, string? connectionString, string? provider, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DataDirectory"] = named,
            ["ConnectionStrings:Helpline"] = connectionString,
            ["Database:Provider"] = provider,
        }).Build();

        Assert.Equal(expected, DataDirectory.From(configuration, "/srv/helpline").Path);
    }

    /// <summary>Every file under the install with its size and time (build output and packages aside).</summary>
    private static List<string> Snapshot(string install) =>
        [.. Directory.EnumerateFiles(install, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/") && !f.Contains("/obj/") && !f.Contains("/node_modules/"))
            .Select(f => new FileInfo(f))
            .Select(f => $"{Path.GetRelativePath(install, f.FullName)} {f.Length} {f.LastWriteTimeUtc:O}")
            .Order()];
}
