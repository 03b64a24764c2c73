using System.Net;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Audit;

/// <summary>
/// Lists that show callers (the callbacks page and API, the wallboard's missed callbacks, blocked
/// numbers, the contacts export) leave a row in the audit trail naming who saw which contacts.
/// </summary>
public sealed class ListViewAuditTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();
    private StaffSession _supervisor = null!;

    public async ValueTask InitializeAsync()
    {
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        _supervisor = await _app.SignInAsync("supervisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task EachViewingOfTheCallbacksPageAndApiIsAuditedWithTheContactsShown()
    {
        var missed = await MissedCallbackAsync("+12125550111");

        Assert.Equal(HttpStatusCode.OK, (await _supervisor.Browser.GetAsync("/callbacks?show=missed")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _supervisor.Browser.GetAsync("/callbacks?show=missed")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _supervisor.Browser.GetAsync("/api/callbacks?status=Missed")).StatusCode);
        await _supervisor.Browser.GetAsync("/callbacks");

        var rows = await AuditAsync("callbacks.viewed");
        Assert.Equal([
            $"supervisor@test.example missed: 1 row(s), contacts {missed}",
            $"supervisor@test.example missed: 1 row(s), contacts {missed}",
            $"supervisor@test.example missed: 1 row(s), contacts {missed}",
            "supervisor@test.example upcoming: 0 row(s)"], rows);
    }

    [Fact]
    public async Task TheWallboardsMissedCallbacksAreAuditedWhenWhatItShowsChanges()
    {
        var first = await MissedCallbackAsync("+12125550111");
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await _supervisor.Browser.GetAsync("/api/wallboard")).StatusCode);
        var second = await MissedCallbackAsync("+12125550122");
        await _supervisor.Browser.GetAsync("/api/wallboard");
        await _supervisor.Browser.GetAsync("/api/wallboard");

        var rows = await AuditAsync("wallboard.missed-callbacks-viewed");
        Assert.Equal(2, rows.Count);
        Assert.Equal($"supervisor@test.example missed callbacks on the wallboard: 1 row(s), contacts {first}", rows[0]);
        Assert.Contains($"2 row(s), contacts ", rows[1]);
        Assert.Contains(second.ToString(), rows[1]);
    }

    [Fact]
    public async Task BlockedNumbersAndTheContactsExportAreAuditedWhenViewed()
    {
        Assert.Equal(HttpStatusCode.OK, (await _supervisor.Browser.GetAsync("/blocked-numbers")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _supervisor.Browser.GetAsync("/reports/export/contacts.csv?range=today")).StatusCode);

        Assert.Equal(["supervisor@test.example 0 active and 0 past block(s): 0 row(s)"], await AuditAsync("blocked-numbers.viewed"));
        var export = Assert.Single(await AuditAsync("contacts.exported"));
        Assert.Contains("without caller details", export);
    }

    private Task<List<string>> AuditAsync(string action) => _app.WithDbAsync(db =>
        db.AuditEntries.Where(a => a.Action == action).OrderBy(a => a.Id).Select(a => a.UserName + " " + a.Details).ToListAsync());

    /// <summary>A voicemail whose callback ran out of attempts: on the missed lists.</summary>
    private Task<long> MissedCallbackAsync(string number) => _app.WithDbAsync(async db =>
    {
        var now = _app.Clock.GetUtcNow().UtcDateTime;
        var caller = new Caller { PhoneNumber = number, PhoneHash = db.Protector.BlindIndex(number), TimeZone = "America/New_York", CreatedAt = now };
        var contact = new Contact { Caller = caller, Channel = ContactChannel.Voicemail, Status = ContactStatus.Missed, CreatedAt = now, UpdatedAt = now };
        db.Callbacks.Add(new Callback
        {
            Contact = contact, Caller = caller, Status = CallbackStatus.Missed, DueAt = now.AddHours(-2), TimeZone = "America/New_York",
            WindowStartLocal = new TimeOnly(8, 0), WindowEndLocal = new TimeOnly(21, 0), Attempts = 3, CreatedAt = now, UpdatedAt = now,
        });
        await db.SaveChangesAsync();
        return contact.Id;
    });
}
