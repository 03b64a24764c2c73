using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Helpline.Accounts;
using Helpline.Chat;
using Helpline.Contacts;
using Helpline.Queue;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Helpline.Tests.Reports;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Chat;

/// <summary>
/// Web chat end to end: a person opens a chat from the chat page and waits in the one shared queue,
/// an advisor takes it (no phone rings), both write, the advisor ends and wraps up. The person uses
/// the real SignalR client with the chat's tokens; the advisor uses the staff API and staff hub.
/// </summary>
public sealed class ChatTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();
    private StaffSession _advisor = null!;
    private string _advisorId = "";

    private DateTimeOffset _started;

    public async ValueTask InitializeAsync()
    {
        _started = _app.Clock.GetUtcNow();
        _advisorId = await _app.AdvisorOnDutyAsync("chat-advisor@test.example");
        _advisor = await _app.SignInAsync("chat-advisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task APersonChatsWithAnAdvisorFromOpeningToWrapUp()
    {
        var advisorHub = _advisor.Hub();
        var advisorSaw = new ConcurrentQueue<ChatMessageView>();
        advisorHub.On<ChatMessageView>(nameof(IQueueClient.ChatMessage), advisorSaw.Enqueue);
        await advisorHub.StartAsync();

        await using var person = await ChatPerson.StartAsync(_app, nickname: "Sam");
        var (hub, joined) = await person.ConnectAsync();
        Assert.Equal(ContactStatus.Waiting, joined.Status.Status);
        Assert.Equal(1, joined.Status.Place);
        var contactId = joined.Status.ContactId;

        // The chat waits in the same queue as calls, shown as a chat, with no number.
        var row = Assert.Single((await _advisor.QueueAsync()).Contacts);
        Assert.Equal((contactId, ContactChannel.Chat, ContactStatus.Waiting, "—"), (row.ContactId, row.Channel, row.Status, row.MaskedNumber));

        Assert.Equal(SendOutcome.Sent, (await person.SendAsync(hub, "Is anyone there? My son uses heroin.")).Outcome);

        var taken = await _advisor.PostAsync($"/api/contacts/{contactId}/take");
        Assert.Equal(HttpStatusCode.OK, taken.StatusCode);
        Assert.Empty(_app.Twilio.CallsPlaced);
        await person.SeesAsync("An advisor has joined the chat.");
        await QueueFlows.EventuallyAsync(() => person.Statuses.Any(s => s.Status == ContactStatus.InProgress && s.AdvisorJoined), "the person's page says an advisor joined");

        // The advisor reads what was written while waiting; the read is audited.
        var transcript = (await _advisor.Browser.GetFromJsonAsync<ChatApi.ConversationView>($"/api/conversations/{contactId}", StaffSession.Json))!;
        Assert.Equal("Sam", transcript.Nickname);
        Assert.Contains(transcript.Messages, m => m.Sender == ChatSender.Person && m.Text == "Is anyone there? My son uses heroin.");
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "chat.transcript-read" && a.ContactId == contactId && a.UserId == _advisorId)));

        var reply = await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { clientMessageId = "a1", text = "I'm here. Tell me what's happening." });
        Assert.Equal(HttpStatusCode.OK, reply.StatusCode);
        await person.SeesAsync("I'm here. Tell me what's happening.");

        await person.SendAsync(hub, "He's been using for two years.");
        await QueueFlows.EventuallyAsync(() => advisorSaw.Any(m => m.ContactId == contactId && m.Text == "He's been using for two years."), "the advisor's screen shows the person's message");

        var end = await _advisor.PostAsync($"/api/conversations/{contactId}/end", new { closingMessage = "Take care. Write to us any time." });
        Assert.Equal(HttpStatusCode.NoContent, end.StatusCode);
        await person.SeesAsync("Take care. Write to us any time.");
        await QueueFlows.EventuallyAsync(() => person.Statuses.Any(s => s.Ended), "the person's page says the chat has ended");
        var late = await person.SendAsync(hub, "one more thing");
        Assert.Equal(SendOutcome.Closed, late.Outcome);
        // Ended, the secret opens nothing more: a reload or a tab restored later shows no transcript.
        Assert.Equal(HttpStatusCode.NotFound, (await person.TokenResponseAsync()).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contactId}/complete", new { disposition = "InformationGiven", notes = "Talked about treatment options." })).StatusCode);
        var contact = await _app.ContactAsync(contactId);
        Assert.Equal(ContactStatus.Completed, contact.Status);
        Assert.NotNull(contact.TalkSeconds);
        Assert.Equal(Presence.Available, await _app.WithDbAsync(db => db.Users.Where(u => u.Id == _advisorId).Select(u => u.Presence).SingleAsync()));
        await advisorHub.DisposeAsync();
    }

    [Fact]
    public async Task MessagesAreStoredEncryptedAndAResendIsStoredOnce()
    {
        await using var person = await ChatPerson.StartAsync(_app);
        var (first, _) = await person.ConnectAsync();
        var (second, _) = await person.ConnectAsync();

        // The same message over two connections at once, as after a reconnect that resends it.
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => person.SendAsync(i % 2 == 0 ? first : second, "I took something and I'm scared", clientId: "same-message-1")));

        Assert.All(results, r => Assert.Equal(SendOutcome.Sent, r.Outcome));
        Assert.Single(results.Select(r => r.Message!.Sequence).Distinct());
        var stored = await _app.WithDbAsync(db => db.ChatMessages.CountAsync(m => m.Sender == ChatSender.Person));
        Assert.Equal(1, stored);
        // At rest the words are ciphertext.
        var raw = await _app.WithDbAsync(db => db.Database.SqlQueryRaw<string>("SELECT \"Body\" AS \"Value\" FROM \"ChatMessages\"").ToListAsync());
        Assert.All(raw, body => Assert.StartsWith("hx1.", body));
        Assert.DoesNotContain(raw, body => body.Contains("scared"));
    }

    [Fact]
    public async Task AReloadResumesTheSameConversationWithWhatWasMissed()
    {
        await using var person = await ChatPerson.StartAsync(_app);
        var (hub, joined) = await person.ConnectAsync();
        var contactId = joined.Status.ContactId;
        await person.SendAsync(hub, "hello?");
        await _advisor.PostAsync($"/api/contacts/{contactId}/take");
        await person.SeesAsync("An advisor has joined the chat.");
        var lastSeen = person.Messages.Max(m => m.Sequence);

        // The page goes away (a reload, a tunnel); the advisor writes meanwhile.
        await hub.DisposeAsync();
        await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "Are you still there?" });
        await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "Take your time." });

        // The new page has the same secret (the tab's session storage), a new token, a new connection.
        var (_, rejoined) = await person.ConnectAsync(afterSequence: lastSeen);
        Assert.Equal(contactId, rejoined.Status.ContactId);
        Assert.Equal(["Are you still there?", "Take your time."], rejoined.Messages.Select(m => m.Text));
        Assert.Equal(ContactStatus.InProgress, rejoined.Status.Status);
    }

    [Fact]
    public async Task WordsOfDangerPutAWaitingChatFirstAndSayWhy()
    {
        var (call, _) = await _app.CallerWaitsAsync("+12125550147");
        await using var person = await ChatPerson.StartAsync(_app);
        var (hub, joined) = await person.ConnectAsync();
        Assert.Equal(2, joined.Status.Place);

        await person.SendAsync(hub, "My brother TOOK TOO MANY pills and he can’t breathe");

        var row = (await _advisor.QueueAsync()).Contacts.Single(c => c.ContactId == joined.Status.ContactId);
        Assert.Equal(ContactPriority.Urgent, row.Priority);
        Assert.Equal("took too many, too many pills, can't breathe", row.Risk);
        Assert.Equal(1, (await person.ConnectAsync()).Joined.Status.Place);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.SingleAsync(a => a.Action == "chat.risk-raised"));
        Assert.Equal(joined.Status.ContactId, audit.ContactId);

        // Take-next takes the chat before the call that waited longer.
        var next = await _advisor.PostAsync("/api/queue/take-next");
        Assert.Equal(joined.Status.ContactId, (await next.Content.ReadFromJsonAsync<QueueRow>(StaffSession.Json))!.ContactId);
        Assert.Equal(ContactStatus.Waiting, (await _app.ContactAsync(call)).Status);
    }

    [Fact]
    public async Task ASupervisorsRiskWordsRaiseTheNextChatAndAWordTakenOffNoLongerDoes()
    {
        await _app.CreateStaffAsync("risk-supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("risk-supervisor@test.example");
        Assert.NotEqual(HttpStatusCode.OK, (await _advisor.Browser.GetAsync("/risk-words")).StatusCode);

        var words = new Dictionary<string, string> { ["phrase"] = "  Tranq   DOPE " };
        var (added, html) = await supervisor.SubmitAsync("/risk-words", "/risk-words?handler=Add", words);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Contains("“tranq dope” now raises a waiting chat to Urgent.", html);
        var (again, _) = await supervisor.SubmitAsync("/risk-words", "/risk-words?handler=Add", words);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var (refused, _) = await supervisor.SubmitAsync("/risk-words", "/risk-words?handler=Add", new() { ["phrase"] = "!!" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var (_, takenOff) = await supervisor.SubmitAsync("/risk-words", "/risk-words?handler=Remove", new() { ["phrase"] = "overdose" });
        Assert.Contains("“overdose” no longer raises a chat.", takenOff);
        Assert.Contains("Put back", takenOff);

        // Trying a message matches it as a person's would be, and stores nothing.
        var (_, tried) = await supervisor.SubmitAsync("/risk-words", "/risk-words?handler=Try", new() { ["text"] = "he's on tranq  dope, not an overdose" });
        Assert.Contains("This message would raise a chat to Urgent, for: tranq dope.", tried);
        Assert.Equal(0, await _app.WithDbAsync(db => db.ChatMessages.CountAsync()));

        // The people who write next: the added words raise a chat; the word taken off does not.
        await _app.CallerWaitsAsync("+12125550147");
        await using var first = await ChatPerson.StartAsync(_app, address: "10.9.8.1");
        var (firstHub, firstJoined) = await first.ConnectAsync();
        await first.SendAsync(firstHub, "I think my son used tranq dope tonight");
        await using var second = await ChatPerson.StartAsync(_app, address: "10.9.8.2");
        var (secondHub, secondJoined) = await second.ConnectAsync();
        await second.SendAsync(secondHub, "I'm scared of an overdose someday");

        var queue = (await _advisor.QueueAsync()).Contacts;
        var raised = queue.Single(c => c.ContactId == firstJoined.Status.ContactId);
        Assert.Equal((ContactPriority.Urgent, "tranq dope"), (raised.Priority, raised.Risk));
        Assert.Equal(ContactPriority.Normal, queue.Single(c => c.ContactId == secondJoined.Status.ContactId).Priority);
        Assert.Equal(firstJoined.Status.ContactId, queue[0].ContactId);

        var audit = await _app.WithDbAsync(db => db.AuditEntries.Where(a => a.Action.StartsWith("chat.risk-word")).OrderBy(a => a.Id).Select(a => a.Action + " " + a.Details + " " + a.UserName).ToListAsync());
        Assert.Equal(["chat.risk-word-added “tranq dope” risk-supervisor@test.example", "chat.risk-word-removed “overdose” (configured) risk-supervisor@test.example"], audit);

        // Put back, the configured word raises chats again.
        var (_, putBack) = await supervisor.SubmitAsync("/risk-words", "/risk-words?handler=Add", new() { ["phrase"] = "overdose" });
        Assert.DoesNotContain("Put back", putBack);
        await using var third = await ChatPerson.StartAsync(_app, address: "10.9.8.3");
        var (thirdHub, thirdJoined) = await third.ConnectAsync();
        await third.SendAsync(thirdHub, "she had an overdose");
        Assert.Equal(ContactPriority.Urgent, (await _advisor.QueueAsync()).Contacts.Single(c => c.ContactId == thirdJoined.Status.ContactId).Priority);
    }

    [Fact]
    public async Task AnAdvisorHoldsNoMoreChatsThanAllowedAndTakesNoCallWhileChatting()
    {
        var people = new List<ChatPerson>();
        for (var i = 0; i < 4; i++)
            people.Add(await ChatPerson.StartAsync(_app, address: $"10.9.1.{i}"));
        var (call, _) = await _app.CallerWaitsAsync("+12125550148");
        var chats = await _app.WithDbAsync(db => db.Contacts.Where(c => c.Channel == ContactChannel.Chat).Select(c => c.Id).ToListAsync());

        // Four takes at once by one advisor: the limit (2) holds.
        var takes = await Task.WhenAll(chats.Select(id => _advisor.PostAsync($"/api/contacts/{id}/take")));
        Assert.Equal(2, takes.Count(t => t.StatusCode == HttpStatusCode.OK));
        Assert.All(takes.Where(t => t.StatusCode != HttpStatusCode.OK), t => Assert.Equal(HttpStatusCode.Conflict, t.StatusCode));
        Assert.Equal(2, await _app.WithDbAsync(db => db.Contacts.CountAsync(c => c.AdvisorId == _advisorId && c.Status == ContactStatus.InProgress)));

        var callTake = await _advisor.PostAsync($"/api/contacts/{call}/take");
        Assert.Equal(HttpStatusCode.Conflict, callTake.StatusCode);
        Assert.Contains("chats open", await callTake.Content.ReadAsStringAsync());
        Assert.Empty(_app.Twilio.CallsPlaced);

        // Ending and completing one chat frees a place for another; the advisor stays busy until the last.
        var mine = await _app.WithDbAsync(db => db.Contacts.Where(c => c.AdvisorId == _advisorId).Select(c => c.Id).ToListAsync());
        await _advisor.PostAsync($"/api/conversations/{mine[0]}/end", new { });
        await _advisor.PostAsync($"/api/contacts/{mine[0]}/complete", new { disposition = "InformationGiven" });
        Assert.Equal(Presence.Busy, await _app.WithDbAsync(db => db.Users.Where(u => u.Id == _advisorId).Select(u => u.Presence).SingleAsync()));
        var next = await _advisor.PostAsync("/api/queue/take-next");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(ContactChannel.Chat, (await next.Content.ReadFromJsonAsync<QueueRow>(StaffSession.Json))!.Channel);
        foreach (var person in people)
            await person.DisposeAsync();
    }

    [Fact]
    public async Task OnlyAValidUnexpiredTokenOpensTheChatHub()
    {
        await using var person = await ChatPerson.StartAsync(_app);
        var token = await person.TokenAsync();

        await AssertRefusedAsync(ChatPerson.Hub(_app, () => Task.FromResult<string?>(null)));
        await AssertRefusedAsync(ChatPerson.Hub(_app, () => Task.FromResult<string?>(null), cookie: _advisor.Cookie));
        await AssertRefusedAsync(ChatPerson.Hub(_app, () => Task.FromResult<string?>(token[..^4] + "AAAA")));
        await AssertRefusedAsync(ChatPerson.Hub(_app, () => Task.FromResult<string?>(person.Secret)));

        // The staff hub does not take a chat token either.
        var staffHub = new HubConnectionBuilder().WithUrl("https://localhost/hubs/queue", o =>
        {
            o.HttpMessageHandlerFactory = _ => _app.Server.CreateHandler();
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
        }).Build();
        await AssertRefusedAsync(staffHub);

        // A token is worthless a little after it was given (it travels in URLs).
        _app.Clock.Advance(TimeSpan.FromMinutes(3));
        await AssertRefusedAsync(ChatPerson.Hub(_app, () => Task.FromResult<string?>(token)));
        var fresh = await person.TokenAsync();
        await using var ok = ChatPerson.Hub(_app, () => Task.FromResult<string?>(fresh));
        await ok.StartAsync();
        Assert.Equal(HubConnectionState.Connected, ok.State);
    }

    private static async Task AssertRefusedAsync(HubConnection hub)
    {
        await using (hub)
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
            Assert.Contains("401", refused.Message);
        }
    }

    [Fact]
    public async Task LeavingWhileWaitingAbandonsTheChatAndItsSecretOpensNothingMore()
    {
        await using var person = await ChatPerson.StartAsync(_app);
        var (hub, joined) = await person.ConnectAsync();

        await hub.InvokeAsync("Leave");

        var contact = await _app.ContactAsync(joined.Status.ContactId);
        Assert.Equal(ContactStatus.Abandoned, contact.Status);
        Assert.Empty((await _advisor.QueueAsync()).Contacts);
        Assert.Equal(HttpStatusCode.NotFound, (await person.TokenResponseAsync()).StatusCode);
    }

    [Fact]
    public async Task TheQuickExitsBeaconLeavesAChatUnderWayAndTellsTheAdvisor()
    {
        await using var person = await ChatPerson.StartAsync(_app);
        var (_, joined) = await person.ConnectAsync();
        var contactId = joined.Status.ContactId;
        await _advisor.PostAsync($"/api/contacts/{contactId}/take");

        // A beacon: text/plain, no antiforgery, no answer awaited.
        var beacon = await person.Browser.PostAsync("/chat/api/leave", new StringContent($"{{\"secret\":\"{person.Secret}\"}}", System.Text.Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.NoContent, beacon.StatusCode);
        Assert.Equal(ContactStatus.WrapUp, (await _app.ContactAsync(contactId)).Status);
        var transcript = (await _advisor.Browser.GetFromJsonAsync<ChatApi.ConversationView>($"/api/conversations/{contactId}", StaffSession.Json))!;
        Assert.True(transcript.PersonLeft);
        Assert.Contains(transcript.Messages, m => m.Sender == ChatSender.System && m.Text == "The person left the chat.");
    }

    [Fact]
    public async Task TooManyChatsOrMessagesFromOnePlaceAreAskedToWaitAndHostileInputIsRefusedCleanly()
    {
        for (var i = 0; i < 5; i++)
            await (await ChatPerson.StartAsync(_app, address: "10.9.9.9")).DisposeAsync();
        var (_, sixth) = await ChatPerson.TryStartAsync(_app, address: "10.9.9.9");
        Assert.Equal(HttpStatusCode.TooManyRequests, sixth.StatusCode);

        // An IPv6 device is given a whole /64: its addresses count as one place; the next network is another.
        for (var i = 1; i <= 5; i++)
            await (await ChatPerson.StartAsync(_app, address: $"2001:db8:1:2::{i}")).DisposeAsync();
        var (_, sameNetwork) = await ChatPerson.TryStartAsync(_app, address: "2001:db8:1:2:ffff:1:2:3");
        Assert.Equal(HttpStatusCode.TooManyRequests, sameNetwork.StatusCode);
        await (await ChatPerson.StartAsync(_app, address: "2001:db8:1:3::1")).DisposeAsync();

        var (_, noToken) = await ChatPerson.TryStartAsync(_app, address: "10.9.9.10", withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        var (_, longName) = await ChatPerson.TryStartAsync(_app, nickname: new string('x', 41), address: "10.9.9.10");
        Assert.Equal(HttpStatusCode.BadRequest, longName.StatusCode);
        var garbled = await _app.CreateClient().PostAsync("/chat/api/token", new StringContent("{\"secret\":", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, garbled.StatusCode);

        await using var person = await ChatPerson.StartAsync(_app, address: "10.9.9.11");
        var (hub, _) = await person.ConnectAsync();
        Assert.Equal(SendOutcome.TooLong, (await person.SendAsync(hub, new string('a', 2001))).Outcome);
        Assert.Equal(SendOutcome.Empty, (await person.SendAsync(hub, " \u0000\r\n ")).Outcome);
        var outcomes = new List<SendOutcome>();
        for (var i = 0; i < 31; i++)
            outcomes.Add((await person.SendAsync(hub, $"message {i}")).Outcome);
        Assert.Equal(30, outcomes.Count(o => o == SendOutcome.Sent));
        Assert.Equal(SendOutcome.TooFast, outcomes[^1]);
    }

    [Fact]
    public async Task AChatASupervisorBlockedIsRefusedWithTheCrisisNumbersAndOthersStillOpen()
    {
        await _app.CreateStaffAsync("chat-supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("chat-supervisor@test.example");
        await using var abusive = await ChatPerson.StartAsync(_app, address: "10.9.7.7");
        var (_, joined) = await abusive.ConnectAsync();

        var (response, html) = await supervisor.SubmitAsync("/blocked-numbers", "/blocked-numbers?handler=Block", new Dictionary<string, string>
        {
            ["contactId"] = joined.Status.ContactId.ToString(), ["days"] = "7", ["reason"] = "abusive messages",
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("web chat is blocked until", html);
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "number.blocked" && a.ContactId == joined.Status.ContactId)));

        var (_, refused) = await ChatPerson.TryStartAsync(_app, address: "10.9.7.7");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.Contains("911", problem);
        Assert.Contains("988", problem);
        await using var someoneElse = await ChatPerson.StartAsync(_app, address: "10.9.7.8");
    }

    [Fact]
    public async Task AFacilitySentInTheChatReachesThePersonAndCountsAsAReferral()
    {
        await using (var scope = _app.Services.CreateAsyncScope())
        {
            const string csv = """
                name1,name2,street1,street2,city,state,zip,county,phone,intake1,website,latitude,longitude,type_facility,sa
                Flatirons Recovery,,1200 Pearl Street,,Boulder,CO,80302,Boulder,303-555-0100,303-555-0101,,40.0176,-105.2797,SA,1
                """;
            await scope.ServiceProvider.GetRequiredService<Helpline.Treatment.FacilityImporter>()
                .ImportAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)), "boulder.csv");
        }
        await using var person = await ChatPerson.StartAsync(_app);
        var (_, joined) = await person.ConnectAsync();
        var contactId = joined.Status.ContactId;
        await _advisor.PostAsync($"/api/contacts/{contactId}/take");
        var facilityId = await _app.WithDbAsync(db => db.Facilities.Select(f => f.Id).SingleAsync());

        // As the conversation page does it: the facility's details as a message, then the referral.
        var text = "Flatirons Recovery\n1200 Pearl Street, Boulder, CO 80302\nIntake: 303-555-0101";
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { clientMessageId = "f1", text })).StatusCode);
        var referral = await _advisor.PostAsync($"/api/contacts/{contactId}/referrals", new { facilityId, how = "NumberGiven" });

        Assert.True(referral.IsSuccessStatusCode, await referral.Content.ReadAsStringAsync());
        await person.SeesAsync(text);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Referrals.CountAsync(r => r.ContactId == contactId && r.FacilityId == facilityId)));
    }

    [Fact]
    public async Task AnAdvisorHandsAChatToAnotherWhoCarriesOnAndThePersonIsTold()
    {
        var otherId = await _app.CreateStaffAsync("chat-colleague@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Available);
        var other = await _app.SignInAsync("chat-colleague@test.example");
        await _app.CreateStaffAsync("chat-spanish-only@test.example", Roles.Advisor, AdvisorLanguages.Spanish, Presence.Available);
        var spanishOnly = await _app.WithDbAsync(db => db.Users.Where(u => u.Email == "chat-spanish-only@test.example").Select(u => u.Id).SingleAsync());
        await using var person = await ChatPerson.StartAsync(_app);
        var (_, joined) = await person.ConnectAsync();
        var contactId = joined.Status.ContactId;
        await _advisor.PostAsync($"/api/contacts/{contactId}/take");

        // Not to someone on break, nor to someone who cannot speak the person's language, nor to oneself.
        var onBreak = await _app.CreateStaffAsync("chat-on-break@test.example", Roles.Advisor, AdvisorLanguages.English, Presence.Break);
        var refused = await _advisor.PostAsync($"/api/conversations/{contactId}/transfer", new { advisorId = onBreak });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("on break or offline", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Conflict, (await _advisor.PostAsync($"/api/conversations/{contactId}/transfer", new { advisorId = spanishOnly })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _advisor.PostAsync($"/api/conversations/{contactId}/transfer", new { advisorId = _advisorId })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _advisor.PostAsync($"/api/conversations/{contactId}/transfer", new { advisorId = otherId })).StatusCode);

        await person.SeesAsync("You are now with another advisor, who can see this conversation.");
        Assert.Equal(HttpStatusCode.Conflict, (await _advisor.PostAsync($"/api/conversations/{contactId}/messages", new { text = "still me?" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsync($"/api/conversations/{contactId}/messages", new { text = "Hi, I'm taking over." })).StatusCode);
        await person.SeesAsync("Hi, I'm taking over.");
        var presences = await _app.WithDbAsync(db => db.Users.Where(u => u.Id == _advisorId || u.Id == otherId).ToDictionaryAsync(u => u.Id, u => u.Presence));
        Assert.Equal(Presence.Available, presences[_advisorId]);
        Assert.Equal(Presence.Busy, presences[otherId]);
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "chat.transferred" && a.ContactId == contactId)));
    }

    [Fact]
    public async Task TheWallboardCountsChatsByChannelWithTheirFirstReplyAndHowManyEachAdvisorHolds()
    {
        await _app.CreateStaffAsync("chat-wall@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("chat-wall@test.example");
        await using var first = await ChatPerson.StartAsync(_app, address: "10.9.5.1");
        await using var second = await ChatPerson.StartAsync(_app, address: "10.9.5.2");
        await using var leaving = await ChatPerson.StartAsync(_app, address: "10.9.5.3");
        var ids = await _app.WithDbAsync(db => db.Contacts.Where(c => c.Channel == ContactChannel.Chat).OrderBy(c => c.Id).Select(c => c.Id).ToListAsync());
        var (leavingHub, _) = await leaving.ConnectAsync();
        await leavingHub.InvokeAsync("Leave");

        // The first is answered after 40 s and replied to at 60 s; the second answered and replied to at 120 s.
        _app.Clock.Advance(TimeSpan.FromSeconds(40));
        await _advisor.PostAsync($"/api/contacts/{ids[0]}/take");
        _app.Clock.Advance(TimeSpan.FromSeconds(20));
        await _advisor.PostAsync($"/api/conversations/{ids[0]}/messages", new { text = "Hello, I'm here." });
        _app.Clock.Advance(TimeSpan.FromSeconds(60));
        await _advisor.PostAsync($"/api/contacts/{ids[1]}/take");
        await _advisor.PostAsync($"/api/conversations/{ids[1]}/messages", new { text = "Hi, thanks for waiting." });

        var figures = (await supervisor.Browser.GetFromJsonAsync<Helpline.Dashboard.WallboardApi.WallboardFigures>("/api/wallboard", StaffSession.Json))!;

        var chats = Assert.Single(figures.Channels, c => c.Channel == ContactChannel.Chat);
        Assert.Equal((3, 2, 1), (chats.Offered, chats.Answered, chats.Abandoned));
        Assert.Equal(2, figures.Chats.UnderWay);
        Assert.Equal((1, 2, 2.0), (figures.Chats.AdvisorsChatting, figures.Chats.MostPerAdvisor, figures.Chats.AveragePerAdvisor));
        // (60 + 120) / 2 seconds from joining the queue to the first reply.
        Assert.Equal((90, 2), (figures.Chats.AverageFirstReplySecondsToday, figures.Chats.FirstRepliesToday));
    }

    [Fact]
    public async Task TheReportsGiveChatsTheirTimeToFirstReplyHandlingAndHowManyEachAdvisorHeldAtOnce()
    {
        await _app.CreateStaffAsync("chat-reports@test.example", Roles.Supervisor);
        await using var first = await ChatPerson.StartAsync(_app, address: "10.9.6.1");
        await using var second = await ChatPerson.StartAsync(_app, address: "10.9.6.2");
        await using var leaving = await ChatPerson.StartAsync(_app, address: "10.9.6.3");
        var ids = await _app.WithDbAsync(db => db.Contacts.Where(c => c.Channel == ContactChannel.Chat).OrderBy(c => c.Id).Select(c => c.Id).ToListAsync());
        var day = (await _app.ContactAsync(ids[0])).LocalDate;
        var (leavingHub, _) = await leaving.ConnectAsync();
        await leavingHub.InvokeAsync("Leave");

        // The first chat is taken at 40 s, replied to at 60 s and ended at 300 s; the second taken and
        // replied to at 120 s and ended at 420 s. Each is wrapped up in 30 s.
        await AtAsync(40, () => _advisor.PostAsync($"/api/contacts/{ids[0]}/take"));
        await AtAsync(60, () => _advisor.PostAsync($"/api/conversations/{ids[0]}/messages", new { text = "Hello, I'm here." }));
        await AtAsync(120, () => _advisor.PostAsync($"/api/contacts/{ids[1]}/take"));
        await AtAsync(120, () => _advisor.PostAsync($"/api/conversations/{ids[1]}/messages", new { text = "Hi, thanks for waiting." }));
        await AtAsync(300, () => _advisor.PostAsync($"/api/conversations/{ids[0]}/end", new { closingMessage = "Take care." }));
        await AtAsync(330, () => _advisor.PostAsync($"/api/contacts/{ids[0]}/complete", new { disposition = "InformationGiven" }));
        await AtAsync(420, () => _advisor.PostAsync($"/api/conversations/{ids[1]}/end", new { closingMessage = "Take care." }));
        await AtAsync(450, () => _advisor.PostAsync($"/api/contacts/{ids[1]}/complete", new { disposition = "InformationGiven" }));

        // On the day (counted live) and the next morning (from the kept counts), the same figures.
        for (var read = 0; read < 2; read++)
        {
            var supervisor = await _app.SignInAsync("chat-reports@test.example");
            var chats = (await supervisor.ReportRowsAsync("channels", day, day)).Single(r => r[0] == "Web chat");
            // Offered 3, answered 2, abandoned 1; handling (260 + 30 + 300 + 30) / 2 = 310 s; first replies (60 + 120) / 2 = 90 s.
            Assert.Equal(["Web chat", "3", "2", "1", "2", "310", "2", "90"], chats);
            var advisor = (await supervisor.ReportRowsAsync("advisors", day, day)).Single(r => r[0] == "chat-advisor@test.example" || r[0].StartsWith("chat-advisor"));
            // Open 40–300 and 120–420: 560 s of chats over 380 s with at least one open; two at once at most.
            Assert.Equal(("1.4737", "2"), (advisor[8], advisor[9]));
            _app.Clock.SetUtcNow(_app.Clock.GetUtcNow().AddDays(1));
        }

        async Task AtAsync(int second, Func<Task<HttpResponseMessage>> act)
        {
            var at = _started.AddSeconds(second);
            if (_app.Clock.GetUtcNow() < at)
                _app.Clock.SetUtcNow(at);
            var response = await act();
            Assert.True(response.IsSuccessStatusCode, $"at {second} s: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task AWaitingChatWhosePageWentQuietLeavesTheQueueAndOneStillPollingStays()
    {
        await using var gone = await ChatPerson.StartAsync(_app, address: "10.9.6.1");
        await using var patient = await ChatPerson.StartAsync(_app, address: "10.9.6.2");
        var (_, goneJoined) = await gone.ConnectAsync();
        var (patientHub, patientJoined) = await patient.ConnectAsync();
        var sweeper = _app.Services.GetRequiredService<ChatSweeper>();

        // Half an hour and more: one tab was closed; the other page kept asking where it stands.
        for (var minute = 0; minute < 35; minute++)
        {
            _app.Clock.Advance(TimeSpan.FromMinutes(1));
            await patientHub.InvokeAsync<ChatStatusView>("Status");
        }
        // (The sweeper's own timer runs on the test's clock too, and may have swept already.)
        await sweeper.SweepAsync();

        await QueueFlows.EventuallyAsync(async () => (await _app.ContactAsync(goneJoined.Status.ContactId)).Status == ContactStatus.Abandoned, "the silent chat to leave the queue");
        Assert.Equal(ContactStatus.Waiting, (await _app.ContactAsync(patientJoined.Status.ContactId)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await gone.TokenResponseAsync()).StatusCode);
        // The patient one reconnects as ever, still first in line.
        var (_, rejoined) = await patient.ConnectAsync();
        Assert.Equal(1, rejoined.Status.Place);
    }

    [Fact]
    public async Task ASpanishChatHearsTheHelplineInSpanish()
    {
        await using var person = await ChatPerson.StartAsync(_app, lang: "es");
        var (_, joined) = await person.ConnectAsync();
        Assert.Equal(CallerLanguage.Spanish, (await _app.ContactAsync(joined.Status.ContactId)).Language);

        await _advisor.PostAsync($"/api/contacts/{joined.Status.ContactId}/take");
        await person.SeesAsync("Un consejero se ha unido al chat.");
        await _advisor.PostAsync($"/api/conversations/{joined.Status.ContactId}/end", new { });
        await person.SeesAsync("El consejero terminó el chat.");
    }
}
