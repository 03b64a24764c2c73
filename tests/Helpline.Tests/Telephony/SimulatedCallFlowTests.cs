using System.Net;
using Helpline.Accounts;
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
        await Simulator.ReplyToTextAsync("+12125550147", "START");
        Assert.True(await MayTextAsync(callerId));
        // A text that is not a keyword, or from an unknown number, changes nothing.
        await Simulator.ReplyToTextAsync("+12125550147", "thank you");
        await Simulator.ReplyToTextAsync("+13125550100", "STOP");
        Assert.Equal(2, await _app.WithDbAsync(db => db.Consents.CountAsync(c => c.Kind == ConsentKind.Text)));
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
