using System.Net;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Telephony.Simulator;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Telephony;

/// <summary>Whole calls through the app with the built-in simulator playing Twilio, as a newcomer or a trainer runs them.</summary>
public sealed class SimulatedCallFlowTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync()
    {
        _app.Settings["Simulator:Enabled"] = "true";
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private TwilioSimulator Simulator => _app.Services.GetRequiredService<TwilioSimulator>();

    [Fact]
    public async Task CallGoesThroughTheMenuIntoTheQueueIsTakenBridgedAndCompleted()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available, dialNumber: "+13125550188");
        var advisor = await _app.SignInAsync("advisor@test.example");

        var caller = await Simulator.CallInAsync("+12125550147", "Zorblax Quennet", "NY");
        Assert.Equal("keys", caller.Awaiting);
        Assert.Contains(caller.Log, e => e.Kind == "say" && e.Text.Contains("answered by trained advisors"));
        await Simulator.PressAsync(caller.Sid, "2");
        Assert.True(caller.InQueue);
        Assert.Contains(caller.Log, e => e.Text.Contains("You are number 1 in line."));
        var contact = await _app.WithDbAsync(db => db.Contacts.SingleAsync(c => c.CallSid == caller.Sid));
        Assert.Equal(ContactStatus.Waiting, contact.Status);
        Assert.Equal(ContactFor.LovedOne, contact.For);

        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync("/api/queue/take-next")).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        Assert.False(caller.InQueue);
        Assert.Equal($"contact-{contact.Id}", caller.Conference);
        var advisorPhone = Assert.Single(Simulator.Calls, c => c.Direction == "outbound-api");
        Assert.Equal("+13125550188", advisorPhone.To);
        Assert.Equal("answer", advisorPhone.Awaiting);

        await Simulator.AnswerAsync(advisorPhone.Sid);
        Assert.Equal($"contact-{contact.Id}", advisorPhone.Conference);
        Assert.Equal(ContactStatus.InProgress, (await _app.ContactAsync(contact.Id)).Status);

        _app.Clock.Advance(TimeSpan.FromMinutes(4));
        await Simulator.PersonHangsUpAsync(caller.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        Assert.True(advisorPhone.Ended);
        var wrapUp = await _app.ContactAsync(contact.Id);
        Assert.Equal(ContactStatus.WrapUp, wrapUp.Status);
        Assert.Equal(240, wrapUp.TalkSeconds);

        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync($"/api/contacts/{contact.Id}/complete", new { disposition = "InformationGiven" })).StatusCode);
        Assert.Equal(ContactStatus.Completed, (await _app.ContactAsync(contact.Id)).Status);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task CallerWhoHangsUpWhileWaitingIsAbandoned()
    {
        await _app.AdvisorOnDutyAsync();
        var caller = await Simulator.CallInAsync("+12125550147");
        await Simulator.PressAsync(caller.Sid, "1");
        _app.Clock.Advance(TimeSpan.FromSeconds(61));

        await Simulator.PersonHangsUpAsync(caller.Sid);

        var contact = await _app.WithDbAsync(db => db.Contacts.SingleAsync(c => c.CallSid == caller.Sid));
        Assert.Equal(ContactStatus.Abandoned, contact.Status);
        Assert.Equal(61, contact.WaitSeconds);
        Assert.Contains(caller.Log, e => e.Text.Contains("QueueResult=hangup"));
    }

    [Fact]
    public async Task PressingOneWhileWaitingHangsUpAndKeepsThePlaceAsACallback()
    {
        await _app.AdvisorOnDutyAsync();
        var caller = await Simulator.CallInAsync("+12125550147");
        await Simulator.PressAsync(caller.Sid, "1");

        await Simulator.PressAsync(caller.Sid, "1");

        Assert.True(caller.Ended);
        Assert.Contains(caller.Log, e => e.Kind == "say" && e.Text.Contains("keep your place"));
        var contact = await _app.WithDbAsync(db => db.Contacts.SingleAsync(c => c.CallSid == caller.Sid));
        Assert.Equal(ContactStatus.Waiting, contact.Status);
        Assert.Equal(ContactChannel.Callback, contact.Channel);
    }

    [Fact]
    public async Task OutOfHoursCallerLeavesAVoicemailThatBecomesACallback()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var caller = await Simulator.CallInAsync("+12125550147");
        Assert.Contains(caller.Log, e => e.Text.Contains("not available right now"));

        await Simulator.NoInputAsync(caller.Sid);
        Assert.Equal("message", caller.Awaiting);
        await Simulator.LeaveMessageAsync(caller.Sid, 12);

        Assert.True(caller.Ended);
        var contact = await _app.WithDbAsync(db => db.Contacts.SingleAsync(c => c.CallSid == caller.Sid));
        Assert.Equal(ContactStatus.AwaitingCallback, contact.Status);
        Assert.Equal(12, contact.RecordingSeconds);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Callbacks.CountAsync(c => c.ContactId == contact.Id)));
    }

    [Fact]
    public async Task AdvisorWhoLetsItRingOutSendsTheCallerBackIntoTheQueue()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var caller = await Simulator.CallInAsync("+12125550147");
        await Simulator.PressAsync(caller.Sid, "1");
        await advisor.PostAsync("/api/queue/take-next");
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var advisorPhone = Assert.Single(Simulator.Calls, c => c.Direction == "outbound-api");

        await Simulator.DeclineAsync(advisorPhone.Sid, "no-answer");
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));

        Assert.True(caller.InQueue);
        Assert.Contains(caller.Log, e => e.Text.Contains("You keep your place in line"));
        var contact = await _app.WithDbAsync(db => db.Contacts.SingleAsync(c => c.CallSid == caller.Sid));
        Assert.Equal(ContactStatus.Waiting, contact.Status);
        Assert.Equal("missed a call", (await _app.WithDbAsync(db => db.Users.SingleAsync())).PresenceReason);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task VoicemailCallbackIsDialledWhenTheAdvisorAnswersAndReachesTheCaller()
    {
        var (callback, advisor) = await VoicemailCallbackInTheQueueAsync();

        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync("/api/queue/take-next")).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var advisorPhone = Assert.Single(Simulator.Calls, c => c.Direction == "outbound-api");
        // Nobody rings the caller before an advisor is on the line.
        Assert.Equal("+13125550188", advisorPhone.To);
        await Simulator.AnswerAsync(advisorPhone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));

        var callerPhone = Assert.Single(Simulator.Calls, c => c.Direction == "outbound-api" && c.To == "+12125550147");
        Assert.Equal("+18005550100", callerPhone.From);
        await Simulator.AnswerAsync(callerPhone.Sid);
        Assert.Equal($"contact-{callback.ContactId}", callerPhone.Conference);
        Assert.Equal(ContactStatus.InProgress, (await _app.ContactAsync(callback.ContactId)).Status);

        await Simulator.PersonHangsUpAsync(callerPhone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(ContactStatus.WrapUp, (await _app.ContactAsync(callback.ContactId)).Status);
        var done = await _app.WithDbAsync(db => db.Callbacks.SingleAsync());
        Assert.Equal(CallbackStatus.Completed, done.Status);
        Assert.Equal(CallbackOutcome.Reached, done.LastOutcome);
        Assert.Equal(1, done.Attempts);
        Assert.Empty(Simulator.Errors);

        // The person who answered was not the caller: the advisor says so, and nobody calls that number again.
        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync($"/api/contacts/{callback.ContactId}/complete", new { disposition = "WrongNumber" })).StatusCode);
        var wrong = await _app.WithDbAsync(db => db.Callbacks.SingleAsync());
        Assert.Equal(CallbackStatus.Completed, wrong.Status);
        Assert.Equal(CallbackOutcome.WrongNumber, wrong.LastOutcome);
    }

    public enum VoicemailConsent { None, Allowed, AllowedNeutral }

    [Theory]
    [InlineData(VoicemailConsent.None)]
    [InlineData(VoicemailConsent.Allowed)]
    [InlineData(VoicemailConsent.AllowedNeutral)]
    public async Task AnsweringMachineOnACallbackGetsAMessageOnlyIfTheCallerAllowedOne(VoicemailConsent consent)
    {
        var (callback, advisor) = await VoicemailCallbackInTheQueueAsync();
        if (consent != VoicemailConsent.None)
            await GrantAsync(callback.CallerId, consent == VoicemailConsent.AllowedNeutral
                ? [ConsentKind.LeaveVoicemail, ConsentKind.NeutralVoicemail]
                : [ConsentKind.LeaveVoicemail]);

        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync("/api/queue/take-next")).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var advisorPhone = Simulator.Calls.Single(c => c.To == "+13125550188");
        await Simulator.AnswerAsync(advisorPhone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var callerPhone = Simulator.Calls.Single(c => c.To == "+12125550147" && c.Direction == "outbound-api");
        await Simulator.MachineAnswersAsync(callerPhone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));

        // The machine never joins the advisor; both phones hang up and the advisor is free again.
        Assert.Null(callerPhone.Conference);
        Assert.True(callerPhone.Ended);
        Assert.True(advisorPhone.Ended);
        Assert.Equal(Presence.Available, (await _app.WithDbAsync(db => db.Users.SingleAsync())).Presence);
        var heard = string.Join("\n", callerPhone.Log.Where(e => e.Kind == "twiml").Select(e => e.Text));
        switch (consent)
        {
            case VoicemailConsent.None:
                Assert.DoesNotContain("<Say", heard);
                break;
            case VoicemailConsent.Allowed:
                Assert.Contains("returning your call", heard);
                Assert.Contains("Test Helpline", heard);
                Assert.Contains("8 0 0, 5 5 5, 0 1 0 0", heard);
                Assert.Contains("9 8 8", heard);
                break;
            case VoicemailConsent.AllowedNeutral:
                // Nothing on the tape says what kind of line called, to whoever plays it back.
                Assert.Contains("returning your call", heard);
                Assert.DoesNotContain("Helpline", heard, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("crisis", heard, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("overdose", heard, StringComparison.OrdinalIgnoreCase);
                break;
        }

        // Not reached: tried again later inside the window, the contact back to awaiting its callback.
        var after = await _app.WithDbAsync(db => db.Callbacks.SingleAsync());
        Assert.Equal(CallbackStatus.Scheduled, after.Status);
        Assert.Equal(1, after.Attempts);
        Assert.Equal(consent == VoicemailConsent.None ? CallbackOutcome.NoAnswer : CallbackOutcome.VoicemailLeft, after.LastOutcome);
        var contact = await _app.ContactAsync(callback.ContactId);
        Assert.Equal(ContactStatus.AwaitingCallback, contact.Status);
        Assert.Null(contact.AnsweredAt);
        Assert.Empty(Simulator.Errors);
    }

    private Task<int> GrantAsync(long callerId, ConsentKind[] kinds) => _app.WithDbAsync(db =>
    {
        foreach (var kind in kinds)
            db.Consents.Add(new Consent { CallerId = callerId, Kind = kind, Granted = true, TextVersion = "test", Source = ConsentSource.Advisor, RecordedAt = _app.Clock.GetUtcNow().UtcDateTime });
        return db.SaveChangesAsync();
    });

    [Fact]
    public async Task UnansweredCallbackIsTriedAgainInsideTheWindowThenMissed()
    {
        var (callback, advisor) = await VoicemailCallbackInTheQueueAsync();

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            if (attempt > 1)
            {
                var retry = await _app.WithDbAsync(db => db.Callbacks.SingleAsync());
                Assert.Equal(CallbackStatus.Scheduled, retry.Status);
                Assert.True(retry.DueAt >= _app.Clock.GetUtcNow().UtcDateTime.AddMinutes(30));
                _app.Clock.SetUtcNow(new DateTimeOffset(retry.DueAt));
                await using var scope = _app.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<Helpline.Callbacks.CallbackJob>().RunAsync(retry.Id, CancellationToken.None);
            }
            Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync("/api/queue/take-next")).StatusCode);
            await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
            await Simulator.AnswerAsync(Simulator.Calls.First(c => c.Direction == "outbound-api" && c.Awaiting == "answer" && c.To == "+13125550188").Sid);
            await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
            await Simulator.DeclineAsync(Simulator.Calls.First(c => c.Awaiting == "answer" && c.To == "+12125550147").Sid, "no-answer");
            await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(Presence.Available, (await _app.WithDbAsync(db => db.Users.SingleAsync())).Presence);
        }

        var missed = await _app.WithDbAsync(db => db.Callbacks.SingleAsync());
        Assert.Equal(CallbackStatus.Missed, missed.Status);
        Assert.Equal(3, missed.Attempts);
        Assert.Equal(ContactStatus.Missed, (await _app.ContactAsync(callback.ContactId)).Status);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task CallbackWhoseCallerWithdrewConsentIsNeverDialledAndLeavesTheQueue()
    {
        var (callback, advisor) = await VoicemailCallbackInTheQueueAsync();
        await _app.WithDbAsync(async db =>
        {
            db.Consents.Add(new Consent { CallerId = callback.CallerId, Kind = ConsentKind.CallBack, Granted = false, TextVersion = "test", Source = ConsentSource.Advisor, RecordedAt = _app.Clock.GetUtcNow().UtcDateTime });
            return await db.SaveChangesAsync();
        });

        var taken = await advisor.PostAsync("/api/queue/take-next");

        // Passed over on the way: nobody is rung, it is cancelled, and it no longer waits in anyone's queue.
        Assert.Equal(HttpStatusCode.NotFound, taken.StatusCode);
        Assert.DoesNotContain(Simulator.Calls, c => c.Direction == "outbound-api");
        Assert.Equal(ContactStatus.Cancelled, (await _app.ContactAsync(callback.ContactId)).Status);
        Assert.Equal(CallbackStatus.Cancelled, (await _app.WithDbAsync(db => db.Callbacks.SingleAsync())).Status);
        Assert.Equal(Presence.Available, (await _app.WithDbAsync(db => db.Users.SingleAsync())).Presence);
    }

    /// <summary>A voicemail left at night whose callback job has put it in the queue in the morning; an advisor on duty.</summary>
    private async Task<(Helpline.Callbacks.Callback Callback, StaffSession Advisor)> VoicemailCallbackInTheQueueAsync()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var night = await Simulator.CallInAsync("+12125550147");
        await Simulator.NoInputAsync(night.Sid);
        await Simulator.LeaveMessageAsync(night.Sid, 20);
        var callback = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        _app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt));
        await using (var scope = _app.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<Helpline.Callbacks.CallbackJob>().RunAsync(callback.Id, CancellationToken.None);
        Assert.Equal(ContactStatus.Waiting, (await _app.ContactAsync(callback.ContactId)).Status);
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available, dialNumber: "+13125550188");
        return (callback, await _app.SignInAsync("advisor@test.example"));
    }

    [Fact]
    public async Task SimulatorApiDrivesACallAndExplainsWhatDoesNotFit()
    {
        await _app.AdvisorOnDutyAsync();
        var trainer = await _app.SignInAsync("on-duty@test.example");

        var started = await trainer.PostAsync("/api/simulator/calls", new { from = "+12125550147" });
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var sid = Simulator.Calls.Single().Sid;
        Assert.Equal(HttpStatusCode.OK, (await trainer.PostAsync($"/api/simulator/calls/{sid}/press", new { digits = "9" })).StatusCode);
        Assert.Contains(Simulator.Find(sid)!.Log, e => e.Text.Contains("Dials another number"));

        var notRinging = await trainer.PostAsync($"/api/simulator/calls/{sid}/answer");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, notRinging.StatusCode);
        Assert.Contains("ringing", await notRinging.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await _app.CreateBrowser().PostAsync("/api/simulator/calls", null)).StatusCode);
    }

    [Fact]
    public async Task CallerWhoRepliesStopIsNeverTextedAgainUntilTheyReplyStart()
    {
        await _app.AdvisorOnDutyAsync();
        var caller = await Simulator.CallInAsync("+12125550147");
        await Simulator.PressAsync(caller.Sid, "1");
        var callerId = await _app.WithDbAsync(db => db.Callers.Select(c => c.Id).SingleAsync());
        var trainer = await _app.SignInAsync("on-duty@test.example");

        Assert.Equal(HttpStatusCode.OK, (await trainer.PostAsync("/api/simulator/messages", new { from = "+12125550147", body = " stop " })).StatusCode);
        Assert.False(await MayTextAsync(callerId));
        var stop = await _app.WithDbAsync(db => db.Consents.SingleAsync(c => c.Kind == ConsentKind.Text));
        Assert.False(stop.Granted);
        Assert.Equal(ConsentSource.TextMessage, stop.Source);

        _app.Clock.Advance(TimeSpan.FromMinutes(1));
        await Simulator.TextInAsync("+12125550147", "START");
        Assert.True(await MayTextAsync(callerId));
        // A text that is not a keyword changes no answer (it opens a conversation: see Messages/TextConversationTests).
        await Simulator.TextInAsync("+12125550147", "thank you");
        Assert.True(await MayTextAsync(callerId));
        Assert.Equal(2, await _app.WithDbAsync(db => db.Consents.CountAsync(c => c.Kind == ConsentKind.Text)));
        // STOP from a number never seen before is kept for that number too: nothing may be texted to it.
        await Simulator.TextInAsync("+13125550100", "STOP");
        var stranger = await _app.WithDbAsync(db => db.Callers.Where(c => c.Id != callerId).Select(c => c.Id).SingleAsync());
        Assert.False(await _app.WithDbAsync(db => db.Consents.Where(c => c.CallerId == stranger).Select(c => (bool?)c.Granted).SingleAsync()));
    }

    private Task<bool> MayTextAsync(long callerId) => _app.WithDbAsync(db => Helpline.Messages.SmsApi.MayTextAsync(db, callerId));

    [Fact]
    public async Task SimulatorPageShowsEachCallsWebhooksAndTwiml()
    {
        await _app.AdvisorOnDutyAsync();
        var trainer = await _app.SignInAsync("on-duty@test.example");
        var caller = await Simulator.CallInAsync("+12125550147");
        await Simulator.PressAsync(caller.Sid, "1");

        var html = await trainer.Browser.GetStringAsync("/simulator");

        Assert.Contains("Simulate an inbound call", html);
        Assert.Contains("POST /twilio/voice/incoming", html);
        Assert.Contains("&lt;Enqueue", html);
        Assert.Contains("in the queue, listening for keys", html);
    }
}
