using System.Net;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Calls;

public sealed class InboundCallTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task SameCallSidPostedFiveTimesAtOnceMakesOneContact()
    {
        var sid = NewCallSid();
        var client = _app.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid), client)));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, await _app.WithDbAsync(db => db.Contacts.CountAsync(c => c.CallSid == sid)));
        Assert.Equal(1, await _app.WithDbAsync(db => db.Callers.CountAsync()));
    }

    [Fact]
    public async Task TwilioRetriesRacingForOneCallSidLogNoErrors()
    {
        var client = _app.CreateClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var rounds = 0;
        // Retries at the same moment: some round makes two requests insert the same CallSid, the unique
        // index refuses one, and the app uses the contact the other wrote.
        while (!_app.Logs.Lines.Any(l => l.Contains("was recorded by a request at the same moment")))
        {
            Assert.True(DateTime.UtcNow < deadline, $"no two requests raced in {rounds} rounds");
            var sid = NewCallSid();
            var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid), client)));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            Assert.Equal(1, await _app.WithDbAsync(db => db.Contacts.CountAsync(c => c.CallSid == sid)));
            rounds++;
        }

        Assert.DoesNotContain(_app.Logs.Lines, l => l.StartsWith("Error") || l.StartsWith("Critical"));
    }

    [Fact]
    public async Task CallerHearsWhoAnswersTheCrisisNoticeAndTheMenu()
    {
        var sid = NewCallSid();

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid))).TwimlAsync();

        var gather = twiml.One("/Response/Gather[@action='/twilio/voice/menu?attempt=1'][@numDigits='1']");
        var spoken = string.Join(" ", gather.Elements("Say").Select(s => s.Value));
        Assert.Contains("answered by trained advisors", spoken);
        Assert.Contains("9 1 1", spoken);
        Assert.Contains("press 9", spoken);
        Assert.Contains("for yourself, press 1", spoken);
        Assert.Contains("someone you love, press 2", spoken);
        Assert.Contains("español, oprima 3", spoken);
        twiml.One("/Response/Redirect[.='/twilio/voice/menu?attempt=1']");

        var contact = await ContactAsync(sid);
        Assert.Equal(ContactStatus.InMenu, contact.Status);
        Assert.Equal(ContactChannel.Phone, contact.Channel);
        Assert.Equal("test-2026-11", contact.DisclosureVersion);
        Assert.Equal("NY", contact.Region);
        Assert.Equal(new DateOnly(2026, 11, 25), contact.LocalDate);
        Assert.Equal(10, contact.LocalHour);
    }

    [Theory]
    [InlineData("1", ContactFor.Self)]
    [InlineData("2", ContactFor.LovedOne)]
    public async Task ChoosingWhoTheCallIsForPutsTheCallerInTheQueue(string digit, ContactFor expected)
    {
        await _app.AdvisorOnDutyAsync();
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid).With(("Digits", digit)))).TwimlAsync();

        var enqueue = twiml.One("/Response/Enqueue");
        Assert.Equal("helpline", enqueue.Value);
        Assert.Equal("/twilio/voice/wait", enqueue.Attribute("waitUrl")?.Value);
        Assert.Equal("/twilio/voice/queue-result", enqueue.Attribute("action")?.Value);
        var contact = await ContactAsync(sid);
        Assert.Equal(ContactStatus.Waiting, contact.Status);
        Assert.Equal(expected, contact.For);
        Assert.Equal(HelplineApp.OpenTime.UtcDateTime, contact.QueuedAt);
    }

    [Fact]
    public async Task PressingThreeSpeaksSpanishFromThenOn()
    {
        await _app.AdvisorOnDutyAsync();
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var spanishMenu = await (await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid).With(("Digits", "3")))).TwimlAsync();

        Assert.All(spanishMenu.Descendants("Say"), say => Assert.Equal("es-MX", say.Attribute("language")?.Value));
        var spoken = spanishMenu.Spoken();
        Assert.Contains("Esta línea la atienden", spoken);
        Assert.Contains("Si llama por usted, oprima 1", spoken);
        Assert.DoesNotContain("oprima 3", spoken);

        var queued = await (await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid).With(("Digits", "1")))).TwimlAsync();
        Assert.Equal("es-MX", queued.One("/Response/Say").Attribute("language")?.Value);
        queued.One("/Response/Enqueue");

        var wait = await (await _app.PostTwilioAsync("/twilio/voice/wait", Inbound(sid))).TwimlAsync();
        Assert.Contains("Usted es el número 1 en la fila", wait.Spoken());

        var contact = await ContactAsync(sid);
        Assert.Equal(CallerLanguage.Spanish, contact.Language);
        Assert.Equal(CallerLanguage.Spanish, contact.Caller!.Language);
    }

    [Fact]
    public async Task PressingNineDialsTheCrisisLineAndMarksTheTransfer()
    {
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid).With(("Digits", "9")))).TwimlAsync();

        Assert.Equal("+18002738255", twiml.One("/Response/Dial").Value.Trim());
        var contact = await ContactAsync(sid);
        Assert.Equal(ContactStatus.TransferredToCrisisLine, contact.Status);
        Assert.Equal(HelplineApp.OpenTime.UtcDateTime, contact.CrisisTransferredAt);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("7")]
    [InlineData("#")]
    [InlineData("12345678")]
    [InlineData("abc")]
    public async Task NoDigitOrAWrongOneRepeatsTheMenuOnceThenTakesTheCallerAsCallingForThemselves(string? digits)
    {
        await _app.AdvisorOnDutyAsync();
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));
        var form = digits is null ? Inbound(sid) : Inbound(sid).With(("Digits", digits));

        var repeat = await (await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", form)).TwimlAsync();
        Assert.Contains("Sorry, I didn't get that.", repeat.Spoken());
        repeat.One("/Response/Gather[@action='/twilio/voice/menu?attempt=2']");
        Assert.Equal(ContactStatus.InMenu, (await ContactAsync(sid)).Status);

        var queued = await (await _app.PostTwilioAsync("/twilio/voice/menu?attempt=2", form)).TwimlAsync();
        queued.One("/Response/Enqueue");
        var contact = await ContactAsync(sid);
        Assert.Equal(ContactStatus.Waiting, contact.Status);
        Assert.Equal(ContactFor.Self, contact.For);
    }

    [Fact]
    public async Task OutOfHoursCallerLeavesAVoicemailThatBecomesACallbackInsideTheirHours()
    {
        // Wednesday 23:30 in New York: closed until Thursday 08:00.
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var sid = NewCallSid();
        // A Los Angeles number: 08:00 in New York is 05:00 there, so the callback waits for 08:00 Pacific.
        var form = Inbound(sid, from: "+13105550147");

        var closed = await (await _app.PostTwilioAsync("/twilio/voice/incoming", form)).TwimlAsync();

        Assert.Contains("not available right now", closed.Spoken());
        Assert.Contains("We open again tomorrow at 8:00 AM", closed.Spoken());
        Assert.Contains("press 9", closed.Spoken());
        closed.One("/Response/Gather[@action='/twilio/voice/after-hours']");
        var record = closed.One("/Response/Record");
        Assert.Equal("/twilio/voice/voicemail", record.Attribute("action")?.Value);
        Assert.False(closed.Has("//Enqueue"));

        var thanks = await (await _app.PostTwilioAsync("/twilio/voice/voicemail", form.With(
            ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE11111111111111111111111111111111"),
            ("RecordingSid", "RE11111111111111111111111111111111"),
            ("RecordingDuration", "14")))).TwimlAsync();
        Assert.Contains("call you back", thanks.Spoken());
        thanks.One("/Response/Hangup");

        var contact = await ContactAsync(sid);
        Assert.Equal(ContactChannel.Voicemail, contact.Channel);
        Assert.Equal(ContactStatus.AwaitingCallback, contact.Status);
        Assert.EndsWith("/Recordings/RE11111111111111111111111111111111", contact.RecordingUrl);
        Assert.Equal(14, contact.RecordingSeconds);

        var callback = await _app.WithDbAsync(db => db.Callbacks.SingleAsync(c => c.ContactId == contact.Id));
        Assert.Equal(CallbackStatus.Scheduled, callback.Status);
        Assert.Equal("America/Los_Angeles", callback.TimeZone);
        Assert.Equal(new DateTime(2026, 11, 26, 16, 0, 0, DateTimeKind.Utc), callback.DueAt); // 08:00 Pacific
        Assert.Equal(new TimeOnly(8, 0), callback.WindowStartLocal);
        Assert.Equal(new TimeOnly(21, 0), callback.WindowEndLocal);

        var consent = await _app.WithDbAsync(db => db.Consents.SingleAsync(c => c.ContactId == contact.Id));
        Assert.Equal(ConsentKind.CallBack, consent.Kind);
        Assert.True(consent.Granted);
        Assert.Equal(Helpline.Calls.Prompts.VoicemailConsentVersion, consent.TextVersion);
        Assert.Equal(ConsentSource.Voicemail, consent.Source);
    }

    [Fact]
    public async Task RetriedVoicemailWebhookSchedulesOneCallback()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));
        var voicemail = Inbound(sid).With(("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE2"), ("RecordingDuration", "9"));

        await _app.PostTwilioAsync("/twilio/voice/voicemail", voicemail);
        await _app.PostTwilioAsync("/twilio/voice/voicemail", voicemail);

        Assert.Equal(1, await _app.WithDbAsync(db => db.Callbacks.CountAsync()));
        Assert.Equal(1, await _app.WithDbAsync(db => db.Consents.CountAsync()));
    }

    [Fact]
    public async Task SilentVoicemailPromisesNoCallback()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/voicemail", Inbound(sid).With(("RecordingDuration", "0")))).TwimlAsync();

        Assert.Contains("did not get a message", twiml.Spoken());
        Assert.Equal(0, await _app.WithDbAsync(db => db.Callbacks.CountAsync()));
        Assert.Equal(ContactStatus.EndedInMenu, (await ContactAsync(sid)).Status);
    }

    [Fact]
    public async Task HolidayIsOutOfHours()
    {
        _app.Settings["Helpline:Holidays:0"] = "2026-11-25";

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()))).TwimlAsync();

        Assert.Contains("not available right now", twiml.Spoken());
        Assert.Contains("We open again tomorrow at 8:00 AM", twiml.Spoken());
    }

    [Theory]
    [InlineData("anonymous")]
    [InlineData("+266696687")]
    [InlineData("+7378742833")]
    [InlineData("")]
    public async Task WithheldCallerIdIsNeverOfferedACallback(string from)
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var sid = NewCallSid();

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid, from: from))).TwimlAsync();

        Assert.False(twiml.Has("//Record"));
        Assert.Contains("cannot call you back", twiml.Spoken());
        Assert.Contains("press 9", twiml.Spoken());
        twiml.One("/Response/Hangup");
        var contact = await ContactAsync(sid);
        Assert.True(contact.CallerIdWithheld);
        Assert.Null(contact.CallerId);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Callers.CountAsync()));
    }

    [Fact]
    public async Task OutOfHoursCallerCanStillReachTheCrisisLine()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/after-hours", Inbound(sid).With(("Digits", "9")))).TwimlAsync();

        Assert.Equal("+18002738255", twiml.One("/Response/Dial").Value.Trim());
        Assert.Equal(ContactStatus.TransferredToCrisisLine, (await ContactAsync(sid)).Status);
    }

    [Fact]
    public async Task WaitAnnouncesThePlaceInLineAsOurQueueOrdersIt()
    {
        await _app.AdvisorOnDutyAsync();
        var first = NewCallSid();
        var second = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(first, from: "+12125550101"));
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(second, from: "+12125550102"));
        await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(first, from: "+12125550101").With(("Digits", "1")));
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(second, from: "+12125550102").With(("Digits", "2")));

        Assert.Contains("number 2 in line", (await (await _app.PostTwilioAsync("/twilio/voice/wait", Inbound(second))).TwimlAsync()).Spoken());

        // The first caller hangs up while waiting: abandoned, with the seconds waited, and the second moves up.
        await _app.PostTwilioAsync("/twilio/voice/queue-result", Inbound(first).With(("QueueResult", "hangup"), ("QueueTime", "42")));
        var abandoned = await ContactAsync(first);
        Assert.Equal(ContactStatus.Abandoned, abandoned.Status);
        Assert.Equal(42, abandoned.WaitSeconds);
        Assert.Contains("number 1 in line", (await (await _app.PostTwilioAsync("/twilio/voice/wait", Inbound(second))).TwimlAsync()).Spoken());
    }

    [Fact]
    public async Task HangingUpInTheMenuEndsTheContactAndALateCallbackDoesNotReopenIt()
    {
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var completed = await _app.PostTwilioAsync("/twilio/voice/status", Inbound(sid).With(("CallStatus", "completed"), ("SequenceNumber", "3")));
        var late = await _app.PostTwilioAsync("/twilio/voice/status", Inbound(sid).With(("CallStatus", "in-progress"), ("SequenceNumber", "1")));

        Assert.True(completed.IsSuccessStatusCode);
        Assert.True(late.IsSuccessStatusCode);
        var contact = await ContactAsync(sid);
        Assert.Equal(ContactStatus.EndedInMenu, contact.Status);
        Assert.Equal(3, contact.LastCallSequence);
    }

    [Fact]
    public async Task StatusCallbackForAnUnknownCallIsAcknowledgedAndIgnored()
    {
        var response = await _app.PostTwilioAsync("/twilio/voice/status", Inbound(NewCallSid()).With(("CallStatus", "completed"), ("SequenceNumber", "1")));

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Theory]
    [InlineData("/twilio/voice/incoming")]
    [InlineData("/twilio/voice/menu?attempt=1")]
    [InlineData("/twilio/voice/voicemail")]
    [InlineData("/twilio/voice/status")]
    public async Task SignedRequestWithoutACallSidIsABadRequestAndWritesNothing(string path)
    {
        var form = Inbound("not-a-call-sid");

        var response = await _app.PostTwilioAsync(path, form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Theory]
    [InlineData("/twilio/voice/incoming")]
    [InlineData("/twilio/voice/status")]
    public async Task SignedRequestWhoseCallSidEndsInANewlineIsABadRequestAndWritesNothing(string path)
    {
        var form = Inbound(NewCallSid() + "\n");

        var response = await _app.PostTwilioAsync(path, form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task SignedTextWhoseMessageSidEndsInANewlineIsABadRequestAndRecordsNoConsent()
    {
        Assert.Equal(HttpStatusCode.OK, (await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(NewCallSid()))).StatusCode);
        var text = new Dictionary<string, string> { ["MessageSid"] = "SM" + new string('a', 32) + "\n", ["From"] = CallerNumber, ["Body"] = "STOP" };

        var response = await _app.PostTwilioAsync("/twilio/sms/incoming", text);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Consents.CountAsync()));
    }

    [Fact]
    public async Task SignedRequestWithAHugeFieldIsRefusedAndWritesNothing()
    {
        var form = Inbound(NewCallSid()).With(("CallerName", new string('x', 100_000)));

        var response = await _app.PostTwilioAsync("/twilio/voice/incoming", form);

        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task SignedRequestWithOddButSmallFieldsStillGetsTheMenu()
    {
        var sid = NewCallSid();
        var form = Inbound(sid).With(("CallerName", new string('n', 2000)), ("FromState", "<script>alert(1)</script>' OR 1=1 --"), ("From", "not a number"));

        var twiml = await (await _app.PostTwilioAsync("/twilio/voice/incoming", form)).TwimlAsync();

        twiml.One("/Response/Gather");
        var contact = await ContactAsync(sid);
        Assert.True(contact.CallerIdWithheld);
        Assert.True(contact.Region!.Length <= 64);
    }

    [Fact]
    public async Task MenuWithAnAttemptThatIsNotANumberIsABadRequest()
    {
        var sid = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid));

        var response = await _app.PostTwilioAsync("/twilio/voice/menu?attempt=zzz", Inbound(sid).With(("Digits", "1")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(ContactStatus.InMenu, (await ContactAsync(sid)).Status);
    }

    private Task<Contact> ContactAsync(string callSid) =>
        _app.WithDbAsync(db => db.Contacts.AsNoTracking().Include(c => c.Caller).SingleAsync(c => c.CallSid == callSid));
}
