using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Helpline.Accounts;
using Helpline.Chat;
using Helpline.Contacts;
using Helpline.Messages;
using Helpline.Queue;
using Helpline.Retention;
using Helpline.Telephony.Simulator;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Helpline.Tests.Reports;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Messages;

/// <summary>
/// Text conversations end to end, driven through the built-in simulator, which plays Twilio and the
/// person's phone: a text reaches the shared queue, an advisor takes it and replies, the reply rings
/// the person's phone and Twilio's signed reports say it was delivered; STOP part-way ends it; the
/// reports count it once. Staff use the API and the staff hub, as their pages do.
/// </summary>
public sealed class TextConversationTests : IAsyncLifetime
{
    private const string Person = "+12125550147";
    private const string Hotline = "+18005550100";

    private readonly HelplineApp _app = new();
    private StaffSession _advisor = null!;
    private string _advisorId = "";
    private DateTimeOffset _started;

    public async ValueTask InitializeAsync()
    {
        _app.Settings["Simulator:Enabled"] = "true";
        _started = _app.Clock.GetUtcNow();
        _advisorId = await _app.AdvisorOnDutyAsync("text-advisor@test.example");
        _advisor = await _app.SignInAsync("text-advisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private TwilioSimulator Simulator => _app.Services.GetRequiredService<TwilioSimulator>();

    private IReadOnlyList<SimulatedMessage> Phone => Simulator.TextsTo(Person);

    [Fact]
    public async Task APersonTextsAnAdvisorRepliesToTheirPhoneAndAStopPartWayEndsItCountedOnce()
    {
        var advisorHub = _advisor.Hub();
        var seen = new ConcurrentQueue<ChatMessageView>();
        var delivered = new ConcurrentQueue<TextDeliveryView>();
        advisorHub.On<ChatMessageView>(nameof(IQueueClient.ChatMessage), seen.Enqueue);
        advisorHub.On<TextDeliveryView>(nameof(IQueueClient.TextDelivery), delivered.Enqueue);
        await advisorHub.StartAsync();

        await Simulator.TextInAsync(Person, "Hi, is this the helpline? My brother is using fentanyl again.");

        // The text waits in the one shared queue, as a text, with the number masked.
        var row = Assert.Single((await _advisor.QueueAsync()).Contacts);
        Assert.Equal((ContactChannel.Sms, ContactStatus.Waiting, CallerNumbers.Mask(Person)), (row.Channel, row.Status, row.MaskedNumber));
        var contactId = row.ContactId;
        // The phone is answered at once: an advisor will reply, the crisis numbers, how to stop; and Twilio delivered it.
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));
        var acknowledgement = Assert.Single(Phone);
        Assert.Contains("An advisor will reply here soon", acknowledgement.Body);
        Assert.Contains("911", acknowledgement.Body);
        Assert.Contains("988", acknowledgement.Body);
        Assert.Contains("Reply STOP", acknowledgement.Body);
        Assert.Equal(("delivered", Hotline), (acknowledgement.Status, acknowledgement.From));

        // Taken at 90 s: no phone rings for a text; the advisor reads the transcript (audited).
        _app.Clock.SetUtcNow(_started.AddSeconds(90));
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contactId}/take")).StatusCode);
        Assert.DoesNotContain(Simulator.Calls, c => c.Direction == "outbound-api");
        var view = await ReadAsync(contactId);
        Assert.Equal((ContactChannel.Sms, CallerNumbers.Mask(Person), false), (view.Channel, view.MaskedNumber, view.OptedOut));
        Assert.Equal("Hi, is this the helpline? My brother is using fentanyl again.", view.Messages[0].Text);
        Assert.Equal((ChatSender.System, TextDelivery.Delivered), (view.Messages[1].Sender, view.Messages[1].Delivery));
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "chat.transcript-read" && a.ContactId == contactId && a.UserId == _advisorId)));

        // The reply, at 120 s, reaches the phone; Twilio's signed reports move it on to delivered, on the advisor's screen too.
        _app.Clock.SetUtcNow(_started.AddSeconds(120));
        var reply = await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { clientMessageId = "r1", text = "I'm here. Is your brother with you right now?" });
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("I'm here. Is your brother with you right now?", Phone[^1].Body);
        var sequence = (await reply.Content.ReadFromJsonAsync<ChatMessageView>(StaffSession.Json))!.Sequence;
        await QueueFlows.EventuallyAsync(() => delivered.Any(d => d.ContactId == contactId && d.Sequence == sequence && d.Delivery == TextDelivery.Delivered), "the advisor's screen shows the reply delivered");
        Assert.Equal(TextDelivery.Delivered, (await ReadAsync(contactId)).Messages.Single(m => m.Sequence == sequence).Delivery);

        await Simulator.TextInAsync(Person, "Yes, he's asleep in the next room.");
        await QueueFlows.EventuallyAsync(() => seen.Any(m => m.ContactId == contactId && m.Text == "Yes, he's asleep in the next room."), "the advisor's screen shows the person's text");

        // STOP part-way, at 300 s: the answer is kept, the conversation goes to wrap-up, and nothing more is texted.
        _app.Clock.SetUtcNow(_started.AddSeconds(300));
        await Simulator.TextInAsync(Person, "STOP");
        var contact = await _app.ContactAsync(contactId);
        Assert.Equal(ContactStatus.WrapUp, contact.Status);
        Assert.False(await _app.WithDbAsync(db => SmsApi.MayTextAsync(db, contact.CallerId!.Value)));
        var texted = Phone.Count;
        var refused = await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "Are you still there?" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(texted, Phone.Count);
        var ended = await ReadAsync(contactId);
        Assert.True(ended.OptedOut);
        Assert.Contains(ended.Messages, m => m.Sender == ChatSender.Person && m.Text == "STOP");
        Assert.Contains(ended.Messages, m => m.Sender == ChatSender.System && m.Text.Contains("texted STOP"));

        _app.Clock.SetUtcNow(_started.AddSeconds(330));
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contactId}/complete", new { disposition = "InformationGiven" })).StatusCode);

        // The report, on the day and from the kept counts the next morning: one text conversation,
        // answered, handled in (300 − 90) + 30 = 240 s, first reply 120 s after it came in.
        await _app.CreateStaffAsync("text-reports@test.example", Roles.Supervisor);
        var day = contact.LocalDate;
        for (var read = 0; read < 2; read++)
        {
            var supervisor = await _app.SignInAsync("text-reports@test.example");
            var texts = (await supervisor.ReportRowsAsync("channels", day, day)).Single(r => r[0] == "Text message");
            Assert.Equal(["Text message", "1", "1", "0", "1", "240", "1", "120"], texts);
            _app.Clock.SetUtcNow(_app.Clock.GetUtcNow().AddDays(1));
        }
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task AWebhookTwilioDeliversTwiceIsKeptOnceAndTwoTextsAtOnceOpenOneConversation()
    {
        var first = await Simulator.TextInAsync(Person, "hello?");
        await Task.WhenAll(Simulator.RepeatTextWebhookAsync(first.Sid), Simulator.RepeatTextWebhookAsync(first.Sid));
        Assert.Equal(1, await _app.WithDbAsync(db => db.ChatMessages.CountAsync(m => m.ProviderSid == first.Sid)));

        // A new number's first two texts arrive together: one conversation, holding both.
        const string other = "+13125550100";
        await Task.WhenAll(Simulator.TextInAsync(other, "I need to talk to someone"), Simulator.TextInAsync(other, "about my drinking"));
        var conversations = await _app.WithDbAsync(db =>
        {
            var hash = db.Protector.BlindIndex(other);
            return db.Contacts.Where(c => c.Channel == ContactChannel.Sms && c.Caller!.PhoneHash == hash).Select(c => c.Id).ToListAsync();
        });
        var only = Assert.Single(conversations);
        Assert.Equal(2, await _app.WithDbAsync(db => db.ChatMessages.CountAsync(m => m.ContactId == only && m.Sender == ChatSender.Person)));
        // Each was acknowledged once, whatever the webhooks' order.
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));
        Assert.Single(Simulator.TextsTo(other));
        Assert.Single(Phone);
        Assert.Equal(2, (await _advisor.QueueAsync()).Contacts.Count);
    }

    [Fact]
    public async Task ManyFirstTextsFromANewNumberAtOnceOpenOneConversationHoldingThemAllAcknowledgedOnce()
    {
        // A person in distress sends several texts in a burst before anyone answers.
        const string burst = "+13125550111";
        var sent = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Simulator.TextInAsync(burst, $"please answer {i}")));
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));

        var waiting = (await _advisor.QueueAsync()).Contacts;
        var only = Assert.Single(waiting).ContactId;
        await _advisor.PostAsync($"/api/contacts/{only}/take");
        Assert.Equal(sent.Select(t => t.Body).Order(), (await ReadAsync(only)).Messages.Where(m => m.Sender == ChatSender.Person).Select(m => m.Text).Order());
        Assert.Single(Simulator.TextsTo(burst));
    }

    [Fact]
    public async Task AfterASpanishStopANewTextOpensAConversationInSpanishButNothingIsTextedBack()
    {
        // PARAR is not one of Twilio's default words, so only the app knows: it must not text them.
        await Simulator.TextInAsync(Person, "PARAR");
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
        _app.Clock.Advance(TimeSpan.FromMinutes(5));

        await Simulator.TextInAsync(Person, "Hola, necesito ayuda con mi hijo");

        var row = Assert.Single((await _advisor.QueueAsync()).Contacts);
        Assert.Equal((ContactChannel.Sms, CallerLanguage.Spanish), (row.Channel, row.Language));
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(Phone);
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{row.ContactId}/take")).StatusCode);
        Assert.True((await ReadAsync(row.ContactId)).OptedOut);
        Assert.Equal(HttpStatusCode.Conflict, (await _advisor.PostAsync($"/api/conversations/{row.ContactId}/messages", new { text = "Hola, estoy aquí." })).StatusCode);
        Assert.Empty(Phone);
    }

    [Fact]
    public async Task WordsOfDangerInATextRaiseItToTheFrontOfTheQueue()
    {
        await Simulator.TextInAsync("+13125550100", "Just a question about detox centers near me.");
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        await Simulator.TextInAsync(Person, "hi");
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        await Simulator.TextInAsync(Person, "I took too many pills and I want to die");

        var queue = (await _advisor.QueueAsync()).Contacts;
        Assert.Equal(2, queue.Count);
        Assert.Equal((ContactPriority.Urgent, CallerNumbers.Mask(Person)), (queue[0].Priority, queue[0].MaskedNumber));
        Assert.Contains("want to die", queue[0].Risk);
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "chat.risk-raised" && a.ContactId == queue[0].ContactId)));
    }

    [Fact]
    public async Task ADeliveryReportNeverMovesBackwardsAndAPhoneOutOfReachShowsUndelivered()
    {
        Simulator.MakeUnreachable("+13125550100");
        await Simulator.TextInAsync(Person, "hello");
        await Simulator.TextInAsync("+13125550100", "hello");
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));
        var acknowledgement = Assert.Single(Phone);
        var message = await _app.WithDbAsync(db => db.ChatMessages.AsNoTracking().SingleAsync(m => m.ProviderSid == acknowledgement.Sid));
        Assert.Equal(TextDelivery.Delivered, message.Delivery);

        // Late and out-of-order reports (Twilio does not promise their order) change nothing.
        foreach (var late in new[] { "sent", "queued", "failed", "undelivered" })
        {
            var response = await _app.PostTwilioAsync($"{TextDeliveries.StatusPath}?m={message.Id}", StatusReport(acknowledgement.Sid, late));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        Assert.Equal((TextDelivery.Delivered, (int?)null), await DeliveryAsync(m => m.Id == message.Id));

        var unreachable = Assert.Single(Simulator.TextsTo("+13125550100"));
        Assert.Equal((TextDelivery.Undelivered, (int?)30003), await DeliveryAsync(m => m.ProviderSid == unreachable.Sid));

        // What is not a status report is refused, and changes nothing.
        Assert.Equal(HttpStatusCode.BadRequest, (await _app.PostTwilioAsync(TextDeliveries.StatusPath, StatusReport("SM123", "delivered"))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await _app.PostTwilioAsync(TextDeliveries.StatusPath, StatusReport(acknowledgement.Sid, "<b>weird</b>"))).StatusCode);
        Assert.Equal(TextDelivery.Delivered, await _app.WithDbAsync(db => db.ChatMessages.Where(m => m.Id == message.Id).Select(m => m.Delivery).SingleAsync()));
    }

    [Fact]
    public async Task APictureIsShownOnlyThroughTheAppToWhoMayReadTheConversationAndEachLookIsAudited()
    {
        await Simulator.TextInAsync(Person, "This is what he took", pictures: 1);
        var contactId = Assert.Single((await _advisor.QueueAsync()).Contacts).ContactId;
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contactId}/take")).StatusCode);

        var transcript = await _advisor.Browser.GetStringAsync($"/api/conversations/{contactId}");
        Assert.DoesNotContain("twilio.com", transcript);
        var media = Assert.Single((await ReadAsync(contactId)).Messages[0].Media);
        var picture = await _advisor.Browser.GetAsync($"/api/conversations/{contactId}/media/{media.Id}");
        Assert.Equal(HttpStatusCode.OK, picture.StatusCode);
        Assert.Equal("image/png", picture.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], (await picture.Content.ReadAsByteArrayAsync())[..4]);
        Assert.Equal("no-store", picture.Headers.CacheControl?.ToString());
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "sms.media-viewed" && a.ContactId == contactId && a.UserId == _advisorId)));

        // Another advisor may not look; nor may anyone signed out.
        await _app.CreateStaffAsync("other-advisor@test.example", Roles.Advisor);
        var other = await _app.SignInAsync("other-advisor@test.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await other.Browser.GetAsync($"/api/conversations/{contactId}/media/{media.Id}")).StatusCode);
        var anonymous = await _app.CreateBrowser().GetAsync($"/api/conversations/{contactId}/media/{media.Id}");
        Assert.NotEqual(HttpStatusCode.OK, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _advisor.Browser.GetAsync($"/api/conversations/{contactId}/media/{media.Id + 1000}")).StatusCode);
    }

    [Fact]
    public async Task WhileTheLineIsClosedATextIsAnsweredWithTheCrisisNumbersAndNothingIsKept()
    {
        // 23:30 in New York: the line (08:00–22:00) is closed.
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var text = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + new string('c', 32), ["AccountSid"] = FakeTwilioApi.AccountSid, ["From"] = Person, ["To"] = Hotline,
            ["Body"] = "Is anyone there? I'm scared", ["NumMedia"] = "0",
        };

        var twiml = await (await _app.PostTwilioAsync("/twilio/sms/incoming", text)).TwimlAsync();

        var reply = twiml.One("/Response/Message").Value;
        Assert.Contains("911", reply);
        Assert.Contains("988", reply);
        Assert.Contains("We are back Thursday 8:00 AM", reply);
        // Twilio reports the answer's SID there, so that it is deleted at Twilio later.
        Assert.EndsWith(SmsApi.UnkeptStatusPath, twiml.One("/Response/Message").Attribute("action")!.Value);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
        Assert.Equal(0, await _app.WithDbAsync(db => db.ChatMessages.CountAsync()));
        // Not even the number: no caller was made for it.
        Assert.Equal(0, await _app.WithDbAsync(db => db.Callers.CountAsync()));
    }

    [Fact]
    public async Task AMessagingWebhookThatIsNotWhatTwilioSendsIsABadRequestAndKeepsNothing()
    {
        Dictionary<string, string> Text(params (string Key, string Value)[] changes)
        {
            var form = new Dictionary<string, string> { ["MessageSid"] = "MM" + new string('d', 32), ["From"] = Person, ["To"] = Hotline, ["Body"] = "hi", ["NumMedia"] = "1",
                ["MediaUrl0"] = $"https://api.twilio.com/2010-04-01/Accounts/{FakeTwilioApi.AccountSid}/Messages/MM{new string('d', 32)}/Media/ME{new string('e', 32)}", ["MediaContentType0"] = "image/jpeg" };
            foreach (var (key, value) in changes)
                form[key] = value;
            return form;
        }

        foreach (var bad in new[]
        {
            Text(("NumMedia", "many")), Text(("NumMedia", "11")), Text(("NumMedia", "-1")),
            Text(("MediaUrl0", "https://attacker.example/Media/x")), Text(("MediaUrl0", "http://api.twilio.com/x/Media/y")),
            Text(("MediaContentType0", "text/html; <script>")), Text(("MessageSid", "SM12")),
        })
            Assert.Equal(HttpStatusCode.BadRequest, (await _app.PostTwilioAsync("/twilio/sms/incoming", bad)).StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(async db => await db.Contacts.CountAsync() + await db.ChatMessages.CountAsync()));

        // Signed with another token: refused before anything is read.
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.PostTwilioAsync("/twilio/sms/incoming", Text(), token: "not-the-token")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await _app.PostTwilioAsync(TextDeliveries.StatusPath, StatusReport("SM" + new string('a', 32), "delivered"), token: "not-the-token")).StatusCode);
        // A text from a short code, or an empty one, is nobody to talk to.
        Assert.Equal(HttpStatusCode.OK, (await _app.PostTwilioAsync("/twilio/sms/incoming", Text(("From", "22395"), ("NumMedia", "0")))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _app.PostTwilioAsync("/twilio/sms/incoming", Text(("MessageSid", "SM" + new string('f', 32)), ("Body", "  "), ("NumMedia", "0")))).StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(async db => await db.Contacts.CountAsync() + await db.ChatMessages.CountAsync()));
    }

    [Fact]
    public async Task TheRetentionJobDeletesTheTextsAndPicturesAtTwilioToo()
    {
        await Simulator.TextInAsync(Person, "Here is the bottle", pictures: 1);
        var contactId = Assert.Single((await _advisor.QueueAsync()).Contacts).ContactId;
        await _advisor.PostAsync($"/api/contacts/{contactId}/take");
        await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "Thank you. Is anyone with you?" });
        await _advisor.PostAsync($"/api/conversations/{contactId}/end", new { closingMessage = "Text us any time." });
        await _advisor.PostAsync($"/api/contacts/{contactId}/complete", new { disposition = "InformationGiven" });
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));
        var mediaUrl = Simulator.Messages.Single(m => m.Direction == "inbound").MediaUrls.Single();
        Assert.Equal(4, Simulator.Messages.Count);

        // Older than the retention period (365 days): moved back, rather than a year of the test clock's timers.
        var longAgo = _started.UtcDateTime.AddDays(-400);
        await _app.WithDbAsync(db => db.Contacts.ExecuteUpdateAsync(u => u.SetProperty(c => c.CreatedAt, longAgo)));
        var run = await RetentionRunAsync();

        // The person's text, the acknowledgement, the reply and the closing message: gone at Twilio, with the picture.
        Assert.Equal((1, 4, 0), (run.Contacts, run.TextsDeleted, run.TextsNotDeleted));
        Assert.All(Simulator.Messages, m => Assert.NotNull(m.DeletedAt));
        Assert.Throws<Helpline.Telephony.TelephonyException>(() => Simulator.FetchMediaAsync(mediaUrl).GetAwaiter().GetResult());
        Assert.Equal(0, await _app.WithDbAsync(async db => await db.ChatMessages.CountAsync() + await db.MessageMedia.CountAsync()));
        Assert.Contains("4 text(s) deleted at Twilio", await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "retention.anonymized").Select(a => a.Details).SingleAsync()));
    }

    [Fact]
    public async Task TextsThatNoConversationKeepsAreDeletedAtTwilioADayLaterTheClosedLinesAnswerToo()
    {
        // 23:30 in New York: the line (08:00–22:00) is closed.
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var scared = await Simulator.TextInAsync(Person, "Is anyone there? I'm scared");
        var code = await Simulator.TextInAsync("22395", "Your code is 1234");
        var stop = await Simulator.TextInAsync("+13125550100", "STOP");
        // The web form's courtesy text, to a number that asked to be called back and allowed texts.
        var browser = _app.CreateBrowser();
        var form = new Dictionary<string, string>
        {
            ["Name"] = "Sam", ["Phone"] = "(646) 555-0123", ["For"] = "LovedOne", ["Substance"] = "Fentanyl", ["Place"] = "NY", ["When"] = "asap",
            ["TimeZone"] = "America/New_York", ["MayCall"] = "true", ["MayText"] = "true",
            ["__RequestVerificationToken"] = Forms.Token(await browser.GetStringAsync("/get-help")),
        };
        Assert.Equal(HttpStatusCode.Redirect, (await browser.PostAsync("/get-help", new FormUrlEncodedContent(form))).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));

        // The person got the crisis numbers and when advisors are back; the form's sender got its courtesy text.
        var answer = Assert.Single(Phone);
        Assert.Contains("988", answer.Body);
        Assert.Contains("We are back Thursday 8:00 AM", answer.Body);
        var courtesy = Assert.Single(Simulator.TextsTo("+16465550123"));
        Assert.Equal(0, await _app.WithDbAsync(db => db.ChatMessages.CountAsync()));
        string[] atTwilio = [scared.Sid, answer.Sid, code.Sid, stop.Sid, courtesy.Sid];
        Assert.Equal(atTwilio.Order(), await _app.WithDbAsync(db => db.TextsAtTwilio.OrderBy(t => t.Sid).Select(t => t.Sid).ToListAsync()));
        // Twilio delivering the webhook again notes nothing twice; the person is answered again.
        await Simulator.RepeatTextWebhookAsync(scared.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(6, await _app.WithDbAsync(db => db.TextsAtTwilio.CountAsync()));
        atTwilio = [.. atTwilio, Phone[^1].Sid];

        // Tonight's run: Twilio may still be delivering them, so they stay.
        Assert.Equal(0, (await RetentionRunAsync()).TextsDeleted);
        Assert.All(Simulator.Messages, m => Assert.Null(m.DeletedAt));

        // A day later none of them is left at Twilio, nor noted here.
        _app.Clock.Advance(TimeSpan.FromHours(25));
        var run = await RetentionRunAsync();
        Assert.Equal((6, 0), (run.TextsDeleted, run.TextsNotDeleted));
        Assert.All(atTwilio, sid => Assert.NotNull(Simulator.Messages.Single(m => m.Sid == sid).DeletedAt));
        Assert.All(Simulator.Messages, m => Assert.Equal("", m.Body));
        Assert.Equal(0, await _app.WithDbAsync(db => db.TextsAtTwilio.CountAsync()));
        Assert.Contains("6 text(s) deleted at Twilio", await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action == "retention.anonymized").OrderBy(a => a.Id).Select(a => a.Details).LastAsync()));
    }

    private async Task<RetentionRun> RetentionRunAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
    }

    private async Task<(TextDelivery?, int?)> DeliveryAsync(System.Linq.Expressions.Expression<Func<ChatMessage, bool>> which)
    {
        var found = await _app.WithDbAsync(db => db.ChatMessages.Where(which).Select(m => new { m.Delivery, m.ErrorCode }).SingleAsync());
        return (found.Delivery, found.ErrorCode);
    }

    private async Task<ChatApi.ConversationView> ReadAsync(long contactId) =>
        (await _advisor.Browser.GetFromJsonAsync<ChatApi.ConversationView>($"/api/conversations/{contactId}", StaffSession.Json))!;

    private static Dictionary<string, string> StatusReport(string sid, string status) => new()
    {
        ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = FakeTwilioApi.AccountSid, ["From"] = Hotline, ["To"] = Person,
        ["MessageStatus"] = status, ["SmsStatus"] = status, ["ApiVersion"] = "2010-04-01",
    };
}
