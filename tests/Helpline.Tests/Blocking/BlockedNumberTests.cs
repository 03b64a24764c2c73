using System.Net;
using Helpline.Accounts;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Blocking;

public sealed class BlockedNumberTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();
    private StaffSession _supervisor = null!;

    public async ValueTask InitializeAsync()
    {
        await _app.AdvisorOnDutyAsync();
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        _supervisor = await _app.SignInAsync("supervisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task BlockedCallerHearsAPoliteMessageAndIsNotQueued()
    {
        var (response, html) = await BlockAsync(("number", "(212) 555-0147"), ("days", "7"), ("reason", "Threatened an advisor"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("•••• 0147 is blocked until", html);
        Assert.Contains("Threatened an advisor", html);

        var sid = NewCallSid();
        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid))).TwimlAsync();
        await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid).With(("Digits", "1")));

        Assert.Contains("not able to take calls from this number", twiml.Spoken());
        Assert.Contains("9 8 8", twiml.Spoken());
        Assert.Contains("no podemos atender llamadas de este número", twiml.Spoken());
        Assert.True(twiml.Has("/Response/Hangup"));
        Assert.False(twiml.Has("//Gather") || twiml.Has("//Enqueue"));
        var contact = await _app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync(c => c.CallSid == sid));
        Assert.Equal(ContactStatus.Blocked, contact.Status);
        Assert.NotNull(contact.EndedAt);
        Assert.Empty((await _supervisor.QueueAsync()).Contacts);

        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(a => a.Action.StartsWith("number.") || a.Action.StartsWith("call.")).OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(["number.blocked", "call.blocked"], audit.Select(a => a.Action));
        Assert.Equal("supervisor@test.example", audit[0].UserName);
        Assert.Equal(contact.Id, audit[1].ContactId);
        Assert.DoesNotContain("2125550147", string.Join(" ", audit.Select(a => a.Details)));
    }

    [Fact]
    public async Task TwilioRetryOfABlockedCallIsRefusedTheSameWay()
    {
        await BlockAsync(("number", CallerNumber), ("days", "1"), ("reason", "Abusive"));
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var again = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid))).TwimlAsync();

        Assert.True(again.Has("/Response/Hangup"));
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "call.blocked")));
    }

    [Fact]
    public async Task BlockEndsWhenItsDaysAreOver()
    {
        await BlockAsync(("number", CallerNumber), ("days", "2"), ("reason", "Abusive"));

        _app.Clock.Advance(TimeSpan.FromDays(2) + TimeSpan.FromMinutes(1));
        var sid = NewCallSid();
        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid))).TwimlAsync();

        Assert.True(twiml.Has("/Response/Gather"));
        Assert.Equal(ContactStatus.InMenu, (await _app.WithDbAsync(db => db.Contacts.SingleAsync(c => c.CallSid == sid))).Status);
        // Two days on, the supervisor's sign-in has expired too.
        var page = await (await _app.SignInAsync("supervisor@test.example")).Browser.GetStringAsync("/blocked-numbers");
        Assert.Contains("No number is blocked.", page);
        Assert.Contains("expired", page);
    }

    [Fact]
    public async Task LiftedBlockLetsTheCallerThroughAndIsAudited()
    {
        await BlockAsync(("number", CallerNumber), ("days", "30"), ("reason", "Abusive"));
        var id = await _app.WithDbAsync(db => db.BlockedNumbers.Select(b => b.Id).SingleAsync());

        var (response, html) = await _supervisor.SubmitAsync("/blocked-numbers", "/blocked-numbers?handler=Lift", new() { ["id"] = id.ToString() });
        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()))).TwimlAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("•••• 0147 is no longer blocked.", html);
        Assert.True(twiml.Has("/Response/Gather"));
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "number.unblocked" && a.UserName == "supervisor@test.example")));
    }

    [Fact]
    public async Task SupervisorBlocksTheCallerOfAContactWithoutSeeingTheNumber()
    {
        var first = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(first));
        var contactId = await _app.WithDbAsync(db => db.Contacts.Where(c => c.CallSid == first).Select(c => c.Id).SingleAsync());

        var (response, html) = await BlockAsync(("contactId", contactId.ToString()), ("days", "7"), ("reason", "Abusive"));
        var next = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()))).TwimlAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("•••• 0147", html);
        Assert.DoesNotContain("555-0147", html);
        Assert.DoesNotContain("5550147", html);
        Assert.True(next.Has("/Response/Hangup"));
        Assert.Equal(contactId, await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "number.blocked").Select(a => a.ContactId).SingleAsync()));
    }

    [Theory]
    [InlineData("12", "7", "Abusive", "not a phone number")]
    [InlineData(CallerNumber, "0", "Abusive", "number of days")]
    [InlineData(CallerNumber, "366", "Abusive", "number of days")]
    [InlineData(CallerNumber, "7", " ", "Give a reason")]
    public async Task BlockThatDoesNotMakeSenseIsRefusedWithAReason(string number, string days, string reason, string message)
    {
        var (response, html) = await BlockAsync(("number", number), ("days", days), ("reason", reason));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, html);
        Assert.Equal(0, await _app.WithDbAsync(db => db.BlockedNumbers.CountAsync()));
    }

    [Fact]
    public async Task AdvisorCannotBlockOrSeeBlockedNumbers()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var token = await advisor.FormTokenAsync("/callbacks");

        var page = await advisor.Browser.GetAsync("/blocked-numbers");
        var post = await advisor.Browser.PostAsync("/blocked-numbers?handler=Block", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["number"] = CallerNumber, ["days"] = "7", ["reason"] = "Abusive", ["__RequestVerificationToken"] = token,
        }));

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/access-denied", new Uri(new Uri("https://localhost"), page.Headers.Location!).AbsolutePath);
        Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
        Assert.Equal("/access-denied", new Uri(new Uri("https://localhost"), post.Headers.Location!).AbsolutePath);
        Assert.Equal(0, await _app.WithDbAsync(db => db.BlockedNumbers.CountAsync()));
    }

    [Fact]
    public async Task BlockWithoutTheAntiforgeryTokenIsRefused()
    {
        var post = await _supervisor.Browser.PostAsync("/blocked-numbers?handler=Block", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["number"] = CallerNumber, ["days"] = "7", ["reason"] = "Abusive",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.BlockedNumbers.CountAsync()));
    }

    [Fact]
    public async Task ABlockedNumberCannotAskForACallbackAndItsPendingOneIsCancelled()
    {
        var (asked, form) = await AskForACallbackAsync("(212) 555-0147");
        Assert.True(asked.StatusCode == HttpStatusCode.Redirect, form);
        var pending = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        Assert.Equal(Helpline.Callbacks.CallbackStatus.Scheduled, pending.Status);

        var (_, html) = await BlockAsync(("number", "212 555 0147"), ("days", "30"), ("reason", "Prank requests"));
        Assert.Contains("•••• 0147 is blocked until", html);
        Assert.Contains("Its pending callback is cancelled.", html);
        Assert.Equal(Helpline.Callbacks.CallbackStatus.Cancelled, (await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync())).Status);
        Assert.Equal(ContactStatus.Cancelled, (await _app.ContactAsync(pending.ContactId)).Status);

        // Asking again, in either language: told plainly, with where to find help now; nothing is kept.
        var before = await _app.WithDbAsync(async db => (await db.Contacts.CountAsync(), await db.Callbacks.CountAsync(), await db.Consents.CountAsync()));
        var (refused, page) = await AskForACallbackAsync("+1 212-555-0147");
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("not able to take requests from this number", page);
        Assert.Contains("988", page);
        var (_, spanish) = await AskForACallbackAsync("2125550147", lang: "es");
        Assert.Contains("no podemos atender solicitudes de este número", spanish);
        Assert.Equal(before, await _app.WithDbAsync(async db => (await db.Contacts.CountAsync(), await db.Callbacks.CountAsync(), await db.Consents.CountAsync())));

        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(a => a.Action == "callback.blocked" || a.Action == "request.blocked").OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(["callback.blocked", "request.blocked", "request.blocked"], audit.Select(a => a.Action));
        Assert.Equal(pending.ContactId, audit[0].ContactId);
        Assert.DoesNotContain("2125550147", string.Join(" ", audit.Select(a => a.Details)));
        Assert.Contains("0147", audit[1].Details);
    }

    [Fact]
    public async Task ACallbackWhoseNumberIsBlockedBeforeItIsDueIsCancelledWhenItsJobRuns()
    {
        await AskForACallbackAsync("(212) 555-0147");
        var pending = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        // Blocked by another way than the page (another node, a restore): the job checks for itself.
        await _app.WithDbAsync(async db =>
        {
            db.BlockedNumbers.Add(new Helpline.Blocking.BlockedNumber
            {
                PhoneHash = db.Protector.BlindIndex("+12125550147"), MaskedNumber = "•••• 0147", Reason = "Prank requests",
                BlockedAt = _app.Clock.GetUtcNow().UtcDateTime, Until = _app.Clock.GetUtcNow().UtcDateTime.AddDays(30),
            });
            return await db.SaveChangesAsync();
        });
        _app.Clock.SetUtcNow(new DateTimeOffset(pending.DueAt, TimeSpan.Zero));

        await using (var scope = _app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<Helpline.Callbacks.CallbackJob>().RunAsync(pending.Id, CancellationToken.None);

        Assert.Equal(Helpline.Callbacks.CallbackStatus.Cancelled, (await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync())).Status);
        // Never queued: cancelled, not waiting.
        Assert.Equal(ContactStatus.Cancelled, (await _app.ContactAsync(pending.ContactId)).Status);
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "callback.blocked" && a.ContactId == pending.ContactId)));
    }

    /// <summary>The public form, asking for a call in two days' time (so the callback waits).</summary>
    private async Task<(HttpResponseMessage Response, string Html)> AskForACallbackAsync(string phone, string lang = "en")
    {
        var browser = _app.CreateBrowser();
        var token = await browser.TokenAsync("/get-help");
        var day = _app.Clock.GetUtcNow().AddDays(2).ToString("yyyy-MM-dd");
        var response = await browser.PostAsync("/get-help", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Lang"] = lang, ["Phone"] = phone, ["For"] = "Self", ["When"] = "later", ["Day"] = day, ["From"] = "10:00", ["Until"] = "12:00",
            ["TimeZone"] = "America/New_York", ["MayCall"] = "true", ["__RequestVerificationToken"] = token,
        }));
        return (response, System.Net.WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
    }

    private Task<(HttpResponseMessage Response, string Html)> BlockAsync(params (string Key, string Value)[] fields) =>
        _supervisor.SubmitAsync("/blocked-numbers", "/blocked-numbers?handler=Block", fields.ToDictionary(f => f.Key, f => f.Value));
}
