using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Queue;

public sealed class WaitingTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task WaitingCallerHearsPlaceExpectedWaitAndBothKeysForTheWholeInterval()
    {
        await _app.AdvisorOnDutyAsync();
        await _app.CallerWaitsAsync("+12125550101");
        var (_, second) = await _app.CallerWaitsAsync("+12125550102");

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/wait", Inbound(second, from: "+12125550102"))).TwimlAsync();

        var gather = twiml.One("/Response/Gather[@action='/twilio/voice/wait-key'][@numDigits='1']");
        var spoken = twiml.Spoken();
        Assert.Contains("You are number 2 in line.", spoken);
        // Two callers, one advisor, the default handle time of 5 minutes: about 10 minutes.
        Assert.Contains("about 10 minutes", spoken);
        Assert.Contains("press 1", spoken);
        Assert.Contains("press 9", spoken);
        Assert.Equal("30", gather.Element("Pause")?.Attribute("length")?.Value);
    }

    [Fact]
    public async Task PressingOneWhileWaitingEndsTheCallButKeepsThePlaceAsACallback()
    {
        await _app.AdvisorOnDutyAsync();
        var (first, firstCall) = await _app.CallerWaitsAsync("+12125550101");
        _app.Clock.Advance(TimeSpan.FromSeconds(20));
        var (second, _) = await _app.CallerWaitsAsync("+12125550102");
        var placeInLine = (await _app.ContactAsync(first)).QueuedAt;

        var leave = await (await _app.PostTwilioAsync("/twilio/voice/wait-key", Inbound(firstCall, from: "+12125550101").With(("Digits", "1")))).TwimlAsync();
        leave.One("/Response/Leave");
        var bye = await (await _app.PostTwilioAsync("/twilio/voice/queue-result", Inbound(firstCall, from: "+12125550101").With(("QueueResult", "leave"), ("QueueTime", "20")))).TwimlAsync();
        Assert.Contains("keep your place", bye.Spoken());
        bye.One("/Response/Hangup");
        await _app.CallerStatusAsync(firstCall, "completed", 6);

        var callback = await _app.ContactAsync(first);
        Assert.Equal(ContactStatus.Waiting, callback.Status);
        Assert.Equal(ContactChannel.Callback, callback.Channel);
        Assert.Equal(placeInLine, callback.QueuedAt);
        var consent = await _app.WithDbAsync(db => db.Consents.SingleAsync(c => c.ContactId == first));
        Assert.Equal(ConsentKind.CallBack, consent.Kind);
        Assert.Equal(ConsentSource.PhoneKeypad, consent.Source);
        Assert.Equal(Helpline.Calls.Prompts.CallbackConsentVersion, consent.TextVersion);
        var session = await _app.SignInAsync("on-duty@test.example");
        Assert.Equal([first, second], (await session.QueueAsync()).Contacts.Select(c => c.ContactId));
    }

    [Fact]
    public async Task WithheldCallerIsNotOfferedACallbackWhileWaitingAndPressingOneChangesNothing()
    {
        await _app.AdvisorOnDutyAsync();
        var (contact, callSid) = await _app.CallerWaitsAsync("anonymous");

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/wait", Inbound(callSid, from: "anonymous"))).TwimlAsync();
        Assert.DoesNotContain("press 1", twiml.Spoken());
        var key = await (await _app.PostTwilioAsync("/twilio/voice/wait-key", Inbound(callSid, from: "anonymous").With(("Digits", "1")))).TwimlAsync();

        Assert.False(key.Has("//Leave"));
        Assert.Equal(ContactChannel.Phone, (await _app.ContactAsync(contact)).Channel);
    }

    [Fact]
    public async Task PressingNineWhileWaitingLeavesTheQueueForTheCrisisLine()
    {
        await _app.AdvisorOnDutyAsync();
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");

        var leave = await (await _app.PostTwilioAsync("/twilio/voice/wait-key", Inbound(callSid).With(("Digits", "9")))).TwimlAsync();
        leave.One("/Response/Leave");
        var dial = await (await _app.PostTwilioAsync("/twilio/voice/queue-result", Inbound(callSid).With(("QueueResult", "leave")))).TwimlAsync();

        Assert.Equal("+18002738255", dial.One("/Response/Dial").Value.Trim());
        Assert.Equal(ContactStatus.TransferredToCrisisLine, (await _app.ContactAsync(contact)).Status);
    }

    [Fact]
    public async Task AfterTheLongestWaitTheCallerIsOfferedAVoicemailNotAnEndlessLoop()
    {
        await _app.AdvisorOnDutyAsync();
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");
        _app.Clock.Advance(TimeSpan.FromSeconds(900));

        var leave = await (await _app.PostTwilioAsync("/twilio/voice/wait", Inbound(callSid))).TwimlAsync();
        leave.One("/Response/Leave");
        var voicemail = await (await _app.PostTwilioAsync("/twilio/voice/queue-result", Inbound(callSid).With(("QueueResult", "leave")))).TwimlAsync();
        voicemail.One("/Response/Record[@action='/twilio/voice/voicemail']");
        await _app.PostTwilioAsync("/twilio/voice/voicemail", Inbound(callSid).With(
            ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE9"), ("RecordingDuration", "11")));

        var after = await _app.ContactAsync(contact);
        Assert.Equal(ContactStatus.AwaitingCallback, after.Status);
        Assert.Equal(ContactChannel.Voicemail, after.Channel);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Callbacks.CountAsync(c => c.ContactId == contact)));
    }

    [Fact]
    public async Task WhenNobodyIsSignedInTheCallerIsOfferedAVoicemailInsteadOfTheQueue()
    {
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid).With(("Digits", "2")))).TwimlAsync();

        Assert.False(twiml.Has("//Enqueue"));
        Assert.Contains("cannot put you through", twiml.Spoken());
        twiml.One("/Response/Record[@action='/twilio/voice/voicemail']");
        var contact = await _app.WithDbAsync(db => db.Contacts.SingleAsync(c => c.CallSid == sid));
        Assert.Equal(ContactFor.LovedOne, contact.For);
        Assert.Equal(ContactStatus.InMenu, contact.Status);
    }
}
