using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Helpline.Accounts;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Queue;

public sealed class TakingTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task TwentyAdvisorsTakeTheSameContactAndExactlyOneWins()
    {
        var emails = Enumerable.Range(1, 20).Select(i => $"advisor{i}@test.example").ToList();
        foreach (var email in emails)
            await _app.CreateStaffAsync(email, Roles.Advisor, presence: Presence.Available, dialNumber: "+1500555" + (1000 + emails.IndexOf(email)));
        var sessions = await Task.WhenAll(emails.Select(e => _app.SignInAsync(e)));
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");

        var responses = await Task.WhenAll(sessions.Select(s => s.PostAsync($"/api/contacts/{contact}/take")));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        var losers = responses.Where(r => r.StatusCode != HttpStatusCode.OK).ToList();
        Assert.Equal(19, losers.Count);
        Assert.All(losers, r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        // Each loser is told how the queue stands now: the contact is being connected, not waiting.
        var problem = await losers[0].Content.ReadFromJsonAsync<JsonElement>();
        var row = problem.GetProperty("queue").GetProperty("contacts").EnumerateArray().Single();
        Assert.Equal(contact, row.GetProperty("contactId").GetInt64());
        Assert.Equal("Connecting", row.GetProperty("status").GetString());

        var taken = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.Connecting, taken.Status);
        Assert.Single(_app.Twilio.CallsPlaced);
        Assert.Single(_app.Twilio.CallUpdates, u => u.CallSid == callSid);
        var busy = await _app.WithDbAsync(db => db.Users.CountAsync(u => u.Presence == Presence.Busy));
        Assert.Equal(1, busy);
    }

    [Fact]
    public async Task TakingAWaitingCallBridgesCallerAndAdvisorThroughAConference()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available, dialNumber: "+13125550188");
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");

        var response = await advisor.PostAsync($"/api/contacts/{contact}/take");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The live call is redirected into the contact's conference...
        var redirect = Assert.Single(_app.Twilio.CallUpdates);
        Assert.Equal(callSid, redirect.CallSid);
        Assert.Equal($"https://localhost/twilio/voice/bridge/caller?contact={contact}", redirect["Url"]);
        Assert.Equal("POST", redirect["Method"]);
        // ...and the advisor's phone is called into it, from the hotline.
        var placed = Assert.Single(_app.Twilio.CallsPlaced);
        Assert.Equal($"/2010-04-01/Accounts/{FakeTwilioApi.AccountSid}/Calls.json", placed.Path);
        Assert.Equal("+13125550188", placed["To"]);
        Assert.Equal("+18005550100", placed["From"]);
        Assert.Equal($"https://localhost/twilio/voice/bridge/advisor?contact={contact}", placed["Url"]);
        Assert.Equal($"https://localhost/twilio/voice/bridge/advisor-status?contact={contact}", placed["StatusCallback"]);
        Assert.Equal("20", placed["Timeout"]);

        // The TwiML both legs fetch puts them in the same conference, named for the contact.
        var callerTwiml = await (await _app.PostTwilioAsync($"/twilio/voice/bridge/caller?contact={contact}", Inbound(callSid))).TwimlAsync();
        callerTwiml.One($"/Response/Dial/Conference[.='contact-{contact}'][@startConferenceOnEnter='false'][@endConferenceOnExit='true']");
        var advisorCallSid = (await _app.ContactAsync(contact)).AdvisorCallSid!;
        var advisorTwiml = await (await _app.PostTwilioAsync($"/twilio/voice/bridge/advisor?contact={contact}", Inbound(advisorCallSid))).TwimlAsync();
        advisorTwiml.One($"/Response/Dial/Conference[.='contact-{contact}'][@startConferenceOnEnter='true']");
    }

    [Fact]
    public async Task APhoneThatAnswersAtOnceIsConnectedThoughTwiliosAnswerIsNotBackYet()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available, dialNumber: "+13125550188");
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");
        HttpResponseMessage? twiml = null, answered = null;
        string? advisorCall = null;
        _app.Twilio.OnCallPlaced = async (placed, sid) =>
        {
            // The advisor's softphone picks up at once: Twilio asks for its TwiML and reports it in
            // progress before the app has the call's SID from the REST answer.
            advisorCall = sid;
            twiml = await _app.PostTwilioAsync(new Uri(placed["Url"]!).PathAndQuery, Inbound(sid));
            answered = await _app.AdvisorLegAsync(contact, sid, "in-progress", 1);
        };

        var response = await advisor.PostAsync($"/api/contacts/{contact}/take");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        (await twiml!.TwimlAsync()).One($"/Response/Dial/Conference[.='contact-{contact}'][@startConferenceOnEnter='true']");
        Assert.Equal(HttpStatusCode.NoContent, answered!.StatusCode);
        var talking = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.InProgress, talking.Status);
        Assert.Equal(advisorCall, talking.AdvisorCallSid);
    }

    [Fact]
    public async Task AnEarlyWebhookForAnotherCallClaimsNothing()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available, dialNumber: "+13125550188");
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");

        // Nobody is being connected to a waiting contact: a signed request about some other call is turned away.
        var stray = await (await _app.PostTwilioAsync($"/twilio/voice/bridge/advisor?contact={contact}", Inbound(NewCallSid()))).TwimlAsync();
        stray.One("/Response/Hangup");
        await advisor.PostAsync($"/api/contacts/{contact}/take");
        var advisorCall = (await _app.ContactAsync(contact)).AdvisorCallSid!;
        // Once the leg's SID is recorded, another call cannot take its place.
        await _app.AdvisorLegAsync(contact, NewCallSid(), "in-progress", 1);
        var connecting = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.Connecting, connecting.Status);
        Assert.Equal(advisorCall, connecting.AdvisorCallSid);
    }

    [Fact]
    public async Task AnsweredCallEndsInWrapUpThenCompletesWithDispositionAndTimes()
    {
        var advisorId = await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");
        _app.Clock.Advance(TimeSpan.FromSeconds(40));
        await advisor.PostAsync($"/api/contacts/{contact}/take");
        var advisorCall = (await _app.ContactAsync(contact)).AdvisorCallSid!;

        await _app.AdvisorLegAsync(contact, advisorCall, "ringing", 1);
        _app.Clock.Advance(TimeSpan.FromSeconds(5));
        await _app.AdvisorLegAsync(contact, advisorCall, "in-progress", 2);
        var talking = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.InProgress, talking.Status);
        Assert.Equal(45, talking.WaitSeconds);

        _app.Clock.Advance(TimeSpan.FromSeconds(300));
        await _app.CallerStatusAsync(callSid, "completed", 5);
        await _app.AdvisorLegAsync(contact, advisorCall, "completed", 3);
        var wrapUp = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.WrapUp, wrapUp.Status);
        Assert.Equal(300, wrapUp.TalkSeconds);
        Assert.Equal(Presence.WrapUp, await PresenceOf(advisorId));

        _app.Clock.Advance(TimeSpan.FromSeconds(75));
        var done = await advisor.PostAsync($"/api/contacts/{contact}/complete", new { disposition = "ReferredToTreatment", notes = "Gave the number of a methadone clinic." });

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var completed = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.Completed, completed.Status);
        Assert.Equal(Disposition.ReferredToTreatment, completed.Disposition);
        Assert.Equal(75, completed.WrapUpSeconds);
        Assert.Equal("Gave the number of a methadone clinic.", completed.Notes);
        Assert.Equal(Presence.Available, await PresenceOf(advisorId));
        Assert.Equal(HttpStatusCode.Conflict, (await advisor.PostAsync($"/api/contacts/{contact}/complete", new { disposition = "Other" })).StatusCode);
    }

    [Fact]
    public async Task WrapUpCanScheduleAFollowUpTheCallerAgreedToInsideTheirHours()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, callSid) = await _app.CallerWaitsAsync("+13105550147");
        await advisor.PostAsync($"/api/contacts/{contact}/take");
        var advisorCall = (await _app.ContactAsync(contact)).AdvisorCallSid!;
        await _app.AdvisorLegAsync(contact, advisorCall, "in-progress", 1);
        await _app.CallerStatusAsync(callSid, "completed", 2);

        var refused = await advisor.PostAsync($"/api/contacts/{contact}/complete", new
        {
            disposition = "CallbackScheduled",
            followUp = new { date = "2026-11-27", windowStart = "07:00", windowEnd = "07:45", callerAgreed = true },
        });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("8:00 and 21:00", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await advisor.PostAsync($"/api/contacts/{contact}/complete", new
        {
            disposition = "CallbackScheduled",
            followUp = new { date = "2026-11-27", windowStart = "10:00", windowEnd = "12:00", callerAgreed = false },
        })).StatusCode);

        var done = await advisor.PostAsync($"/api/contacts/{contact}/complete", new
        {
            disposition = "CallbackScheduled",
            followUp = new { date = "2026-11-27", windowStart = "10:00", windowEnd = "12:00", callerAgreed = true },
        });

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var callback = await _app.WithDbAsync(db => db.Callbacks.Include(c => c.Contact).SingleAsync());
        // 10:00 in Los Angeles (the caller's zone, from the number) on the 27th is 18:00 UTC.
        Assert.Equal(new DateTime(2026, 11, 27, 18, 0, 0, DateTimeKind.Utc), callback.DueAt);
        Assert.Equal("America/Los_Angeles", callback.TimeZone);
        Assert.Equal(ContactStatus.AwaitingCallback, callback.Contact!.Status);
        Assert.Equal(ContactChannel.Callback, callback.Contact.Channel);
        var consent = await _app.WithDbAsync(db => db.Consents.SingleAsync());
        Assert.Equal(ConsentSource.Advisor, consent.Source);
        Assert.Equal(Helpline.Contacts.ContactApi.FollowUpConsentVersion, consent.TextVersion);
    }

    [Fact]
    public async Task LateAndOutOfOrderStatusCallbacksNeverMoveAContactBackwards()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");
        await advisor.PostAsync($"/api/contacts/{contact}/take");
        var advisorCall = (await _app.ContactAsync(contact)).AdvisorCallSid!;
        await _app.AdvisorLegAsync(contact, advisorCall, "in-progress", 2);
        await _app.CallerStatusAsync(callSid, "completed", 9);

        // Arriving late: an older "ringing" for the advisor and an older "in-progress" for the caller.
        await _app.AdvisorLegAsync(contact, advisorCall, "ringing", 1);
        await _app.CallerStatusAsync(callSid, "in-progress", 4);
        await _app.AdvisorLegAsync(contact, advisorCall, "no-answer", 1);

        var contactNow = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.WrapUp, contactNow.Status);
        Assert.Equal(9, contactNow.LastCallSequence);
    }

    [Fact]
    public async Task AdvisorWhoDoesNotAnswerPutsTheCallerBackAtTheirPlaceAndGoesOnBreak()
    {
        var missingId = await _app.CreateStaffAsync("missing@test.example", Roles.Advisor, presence: Presence.Available);
        var missing = await _app.SignInAsync("missing@test.example");
        var (first, firstCall) = await _app.CallerWaitsAsync("+12125550101");
        _app.Clock.Advance(TimeSpan.FromSeconds(10));
        var (second, _) = await _app.CallerWaitsAsync("+12125550102");
        var placeInLine = (await _app.ContactAsync(first)).QueuedAt;

        await missing.PostAsync($"/api/contacts/{first}/take");
        var advisorCall = (await _app.ContactAsync(first)).AdvisorCallSid!;
        await _app.AdvisorLegAsync(first, advisorCall, "no-answer", 2);

        var back = await _app.ContactAsync(first);
        Assert.Equal(ContactStatus.Waiting, back.Status);
        Assert.Equal(placeInLine, back.QueuedAt);
        Assert.Null(back.AdvisorId);
        var advisorNow = await _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == missingId));
        Assert.Equal(Presence.Break, advisorNow.Presence);
        Assert.Equal("missed a call", advisorNow.PresenceReason);
        // The caller's live call is sent back to Twilio's queue...
        Assert.Contains(_app.Twilio.CallUpdates, u => u.CallSid == firstCall && new Uri(u["Url"]!).PathAndQuery == $"/twilio/voice/bridge/requeue?contact={first}");
        var requeue = await (await _app.PostTwilioAsync($"/twilio/voice/bridge/requeue?contact={first}", Inbound(firstCall))).TwimlAsync();
        requeue.One("/Response/Enqueue[@waitUrl='/twilio/voice/wait']");
        // ...and in ours it is still ahead of the caller who came later.
        var queue = await missing.QueueAsync();
        Assert.Equal([first, second], queue.Contacts.Select(c => c.ContactId));
    }

    [Fact]
    public async Task TakeNextFollowsPriorityThenPlaceInLineInTheAdvisorsLanguages()
    {
        await _app.CreateStaffAsync("english1@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        await _app.CreateStaffAsync("english2@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        await _app.CreateStaffAsync("english3@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        await _app.CreateStaffAsync("bilingual@test.example", Roles.Advisor, AdvisorLanguages.English | AdvisorLanguages.Spanish, Presence.Available);
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor, AdvisorLanguages.English, Presence.Available);
        var (english, _) = await _app.CallerWaitsAsync("+12125550101");
        _app.Clock.Advance(TimeSpan.FromSeconds(5));
        var (spanish, _) = await _app.CallerWaitsAsync("+12125550102", spanish: true);
        _app.Clock.Advance(TimeSpan.FromSeconds(5));
        var (raised, _) = await _app.CallerWaitsAsync("+12125550103");
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        Assert.Equal(HttpStatusCode.OK, (await supervisor.PostAsync($"/api/contacts/{raised}/priority", new { priority = "Urgent" })).StatusCode);

        var english1 = await _app.SignInAsync("english1@test.example");
        var english2 = await _app.SignInAsync("english2@test.example");
        var english3 = await _app.SignInAsync("english3@test.example");
        var bilingual = await _app.SignInAsync("bilingual@test.example");

        Assert.Equal(raised, await TakenIdAsync(await english1.PostAsync("/api/queue/take-next")));
        Assert.Equal(english, await TakenIdAsync(await english2.PostAsync("/api/queue/take-next")));
        var nothing = await english3.PostAsync("/api/queue/take-next");
        Assert.Equal(HttpStatusCode.NotFound, nothing.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await english3.PostAsync($"/api/contacts/{spanish}/take")).StatusCode);
        Assert.Equal(spanish, await TakenIdAsync(await bilingual.PostAsync("/api/queue/take-next")));
    }

    [Fact]
    public async Task SupervisorMayTakeAContactInAnyLanguageAndAdvisorsCannotRaisePriority()
    {
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor, AdvisorLanguages.English, Presence.Available);
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, AdvisorLanguages.English | AdvisorLanguages.Spanish, Presence.Available);
        var (spanish, _) = await _app.CallerWaitsAsync("+12125550102", spanish: true);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var supervisor = await _app.SignInAsync("supervisor@test.example");

        Assert.Equal(HttpStatusCode.Forbidden, (await advisor.PostAsync($"/api/contacts/{spanish}/priority", new { priority = "Urgent" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await supervisor.PostAsync($"/api/contacts/{spanish}/take")).StatusCode);
    }

    [Fact]
    public async Task WhenTwilioRefusesTheBridgeTheContactGoesBackToItsPlace()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");
        _app.Twilio.Refuse = true;

        var response = await advisor.PostAsync($"/api/contacts/{contact}/take");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(ContactStatus.Waiting, (await _app.ContactAsync(contact)).Status);
        Assert.Equal(Presence.Available, (await _app.WithDbAsync(db => db.Users.SingleAsync())).Presence);
    }

    [Fact]
    public async Task OpeningAContactsDetailsLeavesATrace()
    {
        var advisorId = await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");

        var details = await advisor.Browser.GetFromJsonAsync<JsonElement>($"/api/contacts/{contact}");

        Assert.Equal("+12125550147", details.GetProperty("callerNumber").GetString());
        Assert.Equal(CallerName, details.GetProperty("callerName").GetString());
        Assert.Equal("test-2026-11", details.GetProperty("disclosureVersion").GetString());
        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(a => !a.Action.StartsWith("staff.")));
        Assert.Equal("contact.viewed", audit.Action);
        Assert.Equal(contact, audit.ContactId);
        Assert.Equal(advisorId, audit.UserId);
        Assert.Equal("advisor@test.example", audit.UserName);
    }

    [Fact]
    public async Task PresenceIsSetByTheAdvisorButBusyFollowsTheCall()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");

        Assert.Equal(HttpStatusCode.OK, (await advisor.PutAsync("/api/presence", new { presence = "Break" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await advisor.PutAsync("/api/presence", new { presence = "Busy" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await advisor.PutAsync("/api/presence", new { presence = "Available" })).StatusCode);
        var (contact, _) = await _app.CallerWaitsAsync("+12125550147");
        await advisor.PostAsync($"/api/contacts/{contact}/take");
        Assert.Equal(HttpStatusCode.Conflict, (await advisor.PutAsync("/api/presence", new { presence = "Offline" })).StatusCode);
    }

    private Task<Presence> PresenceOf(string id) => _app.WithDbAsync(db => db.Users.Where(u => u.Id == id).Select(u => u.Presence).SingleAsync());

    private static async Task<long> TakenIdAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("contactId").GetInt64();
    }
}
