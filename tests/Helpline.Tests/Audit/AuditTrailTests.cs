using System.Net;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Audit;

public sealed partial class AuditTrailTests : IAsyncLifetime
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
    public async Task SupervisorFindsWhoViewedAContact()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var viewed = await NewContactAsync();
        var other = await NewContactAsync();
        Assert.Equal(HttpStatusCode.OK, (await advisor.Browser.GetAsync($"/api/contacts/{viewed}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _supervisor.Browser.GetAsync($"/api/contacts/{other}")).StatusCode);

        var rows = Rows(await _supervisor.Browser.GetStringAsync($"/audit?contactId={viewed}"));

        var row = Assert.Single(rows);
        Assert.Equal("advisor@test.example", row.Who);
        Assert.Equal("contact.viewed", row.Action);
        Assert.Equal(viewed.ToString(), row.Contact);
    }

    [Fact]
    public async Task SearchByStaffActionAndDates()
    {
        var at = HelplineApp.OpenTime.UtcDateTime;
        await AddAsync(
            Entry(at.AddDays(-3), "alice@test.example", "contact.viewed", 1),
            Entry(at.AddDays(-1), "alice@test.example", "contact.completed", 1),
            Entry(at.AddDays(-1), "bob@test.example", "contact.viewed", 2),
            Entry(at, "alice@test.example", "callback.cancelled", 3));

        var byStaff = Rows(await _supervisor.Browser.GetStringAsync("/audit?staff=alice&action=contact."));
        var byDates = Rows(await _supervisor.Browser.GetStringAsync("/audit?action=contact.&from=2026-11-24&until=2026-11-24"));

        Assert.Equal(["contact.completed", "contact.viewed"], byStaff.Select(r => r.Action));
        Assert.All(byStaff, r => Assert.Equal("alice@test.example", r.Who));
        Assert.Equal(["bob@test.example", "alice@test.example"], byDates.Select(r => r.Who));
    }

    [Fact]
    public async Task EverySearchIsItselfAudited()
    {
        await _supervisor.Browser.GetStringAsync("/audit?contactId=42&action=contact.&from=2026-11-01");

        var entry = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "audit.searched"));

        Assert.Equal("supervisor@test.example", entry.UserName);
        Assert.Equal(42, entry.ContactId);
        Assert.Equal("contact 42, action contact., from 2026-11-01, page 1", entry.Details);
    }

    [Fact]
    public async Task LongTrailIsReadAPageAtATime()
    {
        var at = HelplineApp.OpenTime.UtcDateTime;
        await AddAsync([.. Enumerable.Range(1, 120).Select(i => Entry(at.AddMinutes(-i), "alice@test.example", "test.entry", i))]);

        var first = await _supervisor.Browser.GetStringAsync("/audit?action=test.");
        var third = await _supervisor.Browser.GetStringAsync("/audit?action=test.&p=3");

        Assert.Equal(AuditTrailModel.PageSize, Rows(first).Count);
        Assert.Equal("1", Rows(first)[0].Contact);
        Assert.Contains("href=\"/audit?action=test.&amp;p=2\" rel=\"next\"", first);
        Assert.Equal(20, Rows(third).Count);
        Assert.Equal("120", Rows(third)[^1].Contact);
        Assert.DoesNotContain("rel=\"next\"", third);
    }

    [Fact]
    public async Task DispositionsAndPrioritiesReadAsWordsNotCodeNames()
    {
        // As the wrap-up and the priority change write them.
        await AddAsync(
            Entry(HelplineApp.OpenTime.UtcDateTime, "ana", "contact.completed", 8, details: "disposition CallbackScheduled"),
            Entry(HelplineApp.OpenTime.UtcDateTime.AddMinutes(1), "ana", "contact.completed", 9, details: "disposition CrisisEscalated988"),
            Entry(HelplineApp.OpenTime.UtcDateTime.AddMinutes(2), "sam", "contact.priority-changed", 9, details: "priority Urgent"),
            Entry(HelplineApp.OpenTime.UtcDateTime.AddMinutes(3), "sam", "contact.completed", 10, details: "disposition NoSuchThing"));

        var details = Rows(await _supervisor.Browser.GetStringAsync("/audit?action=contact.")).Select(r => r.Details).ToList();

        Assert.Contains("disposition: Callback scheduled", details);
        Assert.Contains("disposition: Crisis escalated to 988", details);
        Assert.Contains("priority: Urgent", details);
        Assert.Contains("disposition NoSuchThing", details);
        Assert.DoesNotContain(details, d => d.Contains("CallbackScheduled") || d.Contains("CrisisEscalated"));
    }

    [Fact]
    public async Task StoredTextIsShownEscaped()
    {
        await AddAsync(Entry(HelplineApp.OpenTime.UtcDateTime, "<script>alert(1)</script>", "contact.viewed", 7, details: "<img src=x onerror=alert(2)>"));

        var html = await _supervisor.Browser.GetStringAsync("/audit");

        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.DoesNotContain("<img src=x", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
    }

    [Fact]
    public async Task FilterThatCannotBeReadIsSaidNotIgnored()
    {
        var response = await _supervisor.Browser.GetAsync("/audit?contactId=abc&from=yesterday");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Some filters were not understood", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TrailCannotBeRewritten()
    {
        await AddAsync(Entry(HelplineApp.OpenTime.UtcDateTime, "alice@test.example", "contact.viewed", 7));

        var rewrite = await Record.ExceptionAsync(() => _app.WithDbAsync(async db =>
        {
            var entry = await db.AuditEntries.SingleAsync(a => a.ContactId == 7);
            entry.Action = "nothing.happened";
            return await db.SaveChangesAsync();
        }));

        Assert.IsType<InvalidOperationException>(rewrite);
        var post = await _supervisor.Browser.PostAsync("/audit", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = await _supervisor.FormTokenAsync("/blocked-numbers") }));
        Assert.True(post.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"POST /audit answered {post.StatusCode}");
        Assert.Equal("contact.viewed", await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.ContactId == 7).Select(a => a.Action).SingleAsync()));
    }

    private static AuditEntry Entry(DateTime at, string user, string action, long contactId, string? details = null) =>
        new() { At = at, UserName = user, Action = action, ContactId = contactId, Details = details };

    private Task AddAsync(params AuditEntry[] entries) => _app.WithDbAsync(db =>
    {
        db.AuditEntries.AddRange(entries);
        return db.SaveChangesAsync();
    });

    private async Task<long> NewContactAsync()
    {
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));
        return await _app.WithDbAsync(db => db.Contacts.Where(c => c.CallSid == sid).Select(c => c.Id).SingleAsync());
    }

    private sealed record AuditRow(string When, string Who, string Action, string Contact, string Details);

    private static List<AuditRow> Rows(string html) => AuditRowPattern().Matches(html)
        .Select(m => new AuditRow(m.Groups[1].Value, WebUtility.HtmlDecode(m.Groups[2].Value), m.Groups[3].Value, m.Groups[4].Value, WebUtility.HtmlDecode(m.Groups[5].Value)))
        .Where(r => r.Action != "audit.searched")
        .ToList();

    [GeneratedRegex(@"<tr data-entry=""\d+"">\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>")]
    private static partial Regex AuditRowPattern();
}
