using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Helpline.Accounts;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Queue;

/// <summary>The advisor's wrap-up draft during the call, and what the contact's details say keeps the caller safe.</summary>
public sealed class WrapUpDraftTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task ADraftWrittenDuringTheCallIsStoredEncryptedReadBackWithTheDetailsAndGoneOnceCompleted()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");
        await advisor.PostAsync($"/api/contacts/{contact}/take");
        var advisorCall = (await _app.ContactAsync(contact)).AdvisorCallSid!;
        await _app.AdvisorLegAsync(contact, advisorCall, "in-progress", 1);

        var saved = await advisor.PutAsync($"/api/contacts/{contact}/draft", new { disposition = "ReferredToTreatment", referral = "Mile High Recovery", notes = "Uses fentanyl daily; wants detox" });

        Assert.Equal(HttpStatusCode.NoContent, saved.StatusCode);
        var stored = await _app.WithDbAsync(db => db.Database
            .SqlQueryRaw<string>("""SELECT "WrapUpDraft" AS "Value" FROM "Contacts" WHERE "Id" = {0}""", contact).SingleAsync());
        Assert.StartsWith("hx1.", stored);
        Assert.DoesNotContain("fentanyl", stored);
        var details = await advisor.Browser.GetFromJsonAsync<JsonElement>($"/api/contacts/{contact}");
        var draft = details.GetProperty("draft");
        Assert.Equal("ReferredToTreatment", draft.GetProperty("disposition").GetString());
        Assert.Equal("Uses fentanyl daily; wants detox", draft.GetProperty("notes").GetString());
        Assert.True(await _app.WithDbAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "contact.viewed" && a.ContactId == contact)));

        await _app.CallerStatusAsync(callSid, "completed", 2);
        await _app.AdvisorLegAsync(contact, advisorCall, "completed", 3);
        Assert.Equal(HttpStatusCode.OK, (await advisor.PostAsync($"/api/contacts/{contact}/complete", new { disposition = "ReferredToTreatment", notes = "Uses fentanyl daily; wants detox" })).StatusCode);

        Assert.Null((await _app.ContactAsync(contact)).WrapUpDraft);
        var late = await advisor.PutAsync($"/api/contacts/{contact}/draft", new { notes = "too late" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Null((await _app.ContactAsync(contact)).WrapUpDraft);
    }

    [Fact]
    public async Task AnAdvisorWhoMissesTheCallKeepsTheirDraftFromTheNextAdvisor()
    {
        await _app.CreateStaffAsync("missing@test.example", Roles.Advisor, presence: Presence.Available);
        var missing = await _app.SignInAsync("missing@test.example");
        var (contact, _) = await _app.CallerWaitsAsync("+12125550150");
        await missing.PostAsync($"/api/contacts/{contact}/take");
        Assert.Equal(HttpStatusCode.NoContent, (await missing.PutAsync($"/api/contacts/{contact}/draft", new { disposition = "InformationGiven", notes = "Started typing before answering" })).StatusCode);
        var missedCall = (await _app.ContactAsync(contact)).AdvisorCallSid!;
        await _app.AdvisorLegAsync(contact, missedCall, "no-answer", 1);
        Assert.Equal(ContactStatus.Waiting, (await _app.ContactAsync(contact)).Status);

        await _app.CreateStaffAsync("next@test.example", Roles.Advisor, presence: Presence.Available);
        var next = await _app.SignInAsync("next@test.example");
        await next.PostAsync($"/api/contacts/{contact}/take");
        var details = await next.Browser.GetFromJsonAsync<JsonElement>($"/api/contacts/{contact}");
        Assert.Equal(JsonValueKind.Null, details.GetProperty("draft").ValueKind);

        // The first advisor's page, still open, saves again: refused, and the next advisor's draft stands.
        Assert.Equal(HttpStatusCode.NoContent, (await next.PutAsync($"/api/contacts/{contact}/draft", new { notes = "Caller wants a detox bed" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await missing.PutAsync($"/api/contacts/{contact}/draft", new { notes = "late" })).StatusCode);
        details = await next.Browser.GetFromJsonAsync<JsonElement>($"/api/contacts/{contact}");
        Assert.Equal("Caller wants a detox bed", details.GetProperty("draft").GetProperty("notes").GetString());
    }

    [Fact]
    public async Task DraftsAreRefusedForBadInputAnotherAdvisorsContactOrNoContact()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        await _app.CreateStaffAsync("other@test.example", Roles.Advisor);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var other = await _app.SignInAsync("other@test.example");
        var (contact, _) = await _app.CallerWaitsAsync("+12125550148");
        await advisor.PostAsync($"/api/contacts/{contact}/take");

        Assert.Equal(HttpStatusCode.BadRequest, (await advisor.PutAsync($"/api/contacts/{contact}/draft", new { notes = new string('x', 4001) })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await advisor.PutAsync($"/api/contacts/{contact}/draft", new { referral = new string('x', 301) })).StatusCode);
        var unknown = await advisor.Browser.PutAsync($"/api/contacts/{contact}/draft", new StringContent("""{"disposition":"Teleported"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PutAsync($"/api/contacts/{contact}/draft", new { notes = "not mine" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await advisor.PutAsync("/api/contacts/999999/draft", new { notes = "nobody" })).StatusCode);
        Assert.Null((await _app.ContactAsync(contact)).WrapUpDraft);
    }

    [Fact]
    public async Task TheDetailsSayWhatTheCallerAskedForFromTheirLatestAnswers()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, _) = await _app.CallerWaitsAsync("+12125550149");
        var callerId = (await _app.ContactAsync(contact)).CallerId!.Value;
        var at = DateTime.UtcNow;
        await _app.WithDbAsync(async db =>
        {
            foreach (var (kind, granted, minutes) in new[]
            {
                (ConsentKind.LeaveVoicemail, true, 0), (ConsentKind.LeaveVoicemail, false, 1),
                (ConsentKind.NeutralCallerId, true, 0), (ConsentKind.NeutralVoicemail, true, 0),
                (ConsentKind.SafeToCall, false, 0),
            })
            {
                db.Consents.Add(new Consent { CallerId = callerId, Kind = kind, Granted = granted, TextVersion = "test", Source = ConsentSource.WebForm, RecordedAt = at.AddMinutes(minutes) });
            }
            var caller = await db.Callers.SingleAsync(c => c.Id == callerId);
            caller.AlternatePhoneNumber = "+19175550142";
            db.Contacts.Add(new Contact { CallerId = callerId, Channel = ContactChannel.WebForm, Status = ContactStatus.Completed, Substance = Substance.Fentanyl, CreatedAt = at.AddDays(-2), UpdatedAt = at.AddDays(-2) });
            return await db.SaveChangesAsync();
        });

        var details = await advisor.Browser.GetFromJsonAsync<JsonElement>($"/api/contacts/{contact}");

        var wishes = details.GetProperty("wishes");
        Assert.False(wishes.GetProperty("voicemailAllowed").GetBoolean());
        Assert.True(wishes.GetProperty("discretion").GetBoolean());
        Assert.False(wishes.GetProperty("safeToCall").GetBoolean());
        Assert.Equal(JsonValueKind.Null, wishes.GetProperty("textsAllowed").ValueKind);
        Assert.Equal("+19175550142", details.GetProperty("alternateNumber").GetString());
        Assert.Equal("Fentanyl", details.GetProperty("substance").GetString());
    }
}
