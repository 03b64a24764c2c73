using System.Net;
using System.Net.Http.Json;
using Helpline.Chat;
using Helpline.Contacts;
using Helpline.Messages;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Messages;

/// <summary>
/// Texting through the real Twilio SDK, over Twilio's REST API as <see cref="FakeTwilioApi"/> plays it:
/// what the app asks of Twilio, and Twilio's refusal of a number that opted out (21610).
/// </summary>
public sealed class TwilioTextingTests : IAsyncLifetime
{
    private const string Person = "+12125550147";

    private readonly HelplineApp _app = new();
    private StaffSession _advisor = null!;

    public async ValueTask InitializeAsync()
    {
        await _app.AdvisorOnDutyAsync("sdk-texts@test.example");
        _advisor = await _app.SignInAsync("sdk-texts@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task ARefusalForANumberThatOptedOutAtTwilioIsShownAndKeptAndNoMoreRepliesAreTried()
    {
        var text = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + new string('1', 32), ["AccountSid"] = FakeTwilioApi.AccountSid, ["From"] = Person, ["To"] = "+18005550100",
            ["Body"] = "hello, can someone help me", ["NumMedia"] = "0",
        };
        Assert.Equal(HttpStatusCode.OK, (await _app.PostTwilioAsync("/twilio/sms/incoming", text)).StatusCode);

        // The acknowledgement went through Twilio's messages API, from the hotline, with its status callback.
        var acknowledgement = Assert.Single(_app.Twilio.TextsSent);
        Assert.Equal((Person, "+18005550100"), (acknowledgement["To"], acknowledgement["From"]));
        var messageId = await _app.WithDbAsync(db => db.ChatMessages.Where(m => m.Sender == ChatSender.System).Select(m => m.Id).SingleAsync());
        Assert.EndsWith($"/twilio/sms/status?m={messageId}", acknowledgement["StatusCallback"]);
        Assert.Equal(TextDelivery.Queued, await _app.WithDbAsync(db => db.ChatMessages.Where(m => m.Id == messageId).Select(m => m.Delivery).SingleAsync()));

        var contactId = Assert.Single((await _advisor.QueueAsync()).Contacts).ContactId;
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contactId}/take")).StatusCode);

        // The person opted out at Twilio in a way the app did not see (another keyword, the carrier): Twilio refuses the reply.
        lock (_app.Twilio.OptedOut)
            _app.Twilio.OptedOut.Add(Person);
        var reply = await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "I'm here. What's going on?" });
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        var shown = (await reply.Content.ReadFromJsonAsync<ChatMessageView>(StaffSession.Json))!;
        Assert.Equal((TextDelivery.Failed, (int?)21610), (shown.Delivery, shown.ErrorCode));
        var callerId = (await _app.ContactAsync(contactId)).CallerId!.Value;
        var kept = await _app.WithDbAsync(db => db.Consents.SingleAsync(c => c.CallerId == callerId && c.Kind == ConsentKind.Text));
        Assert.Equal((false, TextDeliveries.OptedOutAtTwilioVersion, ConsentSource.TextMessage), (kept.Granted, kept.TextVersion, kept.Source));

        // The next reply is refused here, without asking Twilio again.
        var asked = _app.Twilio.TextsSent.Count;
        Assert.Equal(HttpStatusCode.Conflict, (await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "Are you there?" })).StatusCode);
        Assert.Equal(asked, _app.Twilio.TextsSent.Count);
        var view = (await _advisor.Browser.GetFromJsonAsync<ChatApi.ConversationView>($"/api/conversations/{contactId}", StaffSession.Json))!;
        Assert.True(view.OptedOut);

        // START from the person lifts it: the next reply is tried again.
        lock (_app.Twilio.OptedOut)
            _app.Twilio.OptedOut.Remove(Person);
        Assert.Equal(HttpStatusCode.OK, (await _app.PostTwilioAsync("/twilio/sms/incoming", new Dictionary<string, string>(text) { ["MessageSid"] = "SM" + new string('2', 32), ["Body"] = "START" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "Thanks. I'm still here." })).StatusCode);
        Assert.Equal(asked + 1, _app.Twilio.TextsSent.Count);
    }
}
