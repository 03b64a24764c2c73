using System.Net;
using System.Net.Http.Json;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Helpline.Treatment;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

/// <summary>Referring a caller to a facility: recorded on the contact, audited, counted; a warm transfer dials the facility in.</summary>
public sealed class ReferralTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();
    private StaffSession _advisor = null!;

    public async ValueTask InitializeAsync()
    {
        await _app.ImportFixturesAsync();
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Helpline.Accounts.Presence.Available, dialNumber: "+13125550188");
        _advisor = await _app.SignInAsync("advisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    /// <summary>A caller waits, the advisor takes them and answers: they are talking.</summary>
    private async Task<(long Contact, string CallSid, string AdvisorCall)> OnACallAsync()
    {
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contact}/take")).StatusCode);
        var advisorCall = (await _app.ContactAsync(contact)).AdvisorCallSid!;
        await _app.AdvisorLegAsync(contact, advisorCall, "in-progress", 1);
        return (contact, callSid, advisorCall);
    }

    [Fact]
    public async Task GivingAFacilitysNumberIsRecordedOnTheContactAuditedAndCounted()
    {
        var (contact, _, _) = await OnACallAsync();
        var facility = await _app.FacilityIdAsync("Front Range Residential");

        var response = await _advisor.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = facility, how = "NumberGiven" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var referrals = await _advisor.Browser.GetFromJsonAsync<List<DirectoryApi.ReferralRow>>($"/api/contacts/{contact}/referrals", StaffSession.Json);
        var referral = Assert.Single(referrals!);
        Assert.Equal(("Front Range Residential", "303-555-0111", ReferralMethod.NumberGiven), (referral.FacilityName, referral.IntakePhone, referral.How));
        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "contact.referred"));
        Assert.Equal((contact, $"facility {facility}, NumberGiven"), (audit.ContactId!.Value, audit.Details));
        // No call is placed for a number given: only the advisor's own leg.
        Assert.Single(_app.Twilio.CallsPlaced);

        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var counts = await supervisor.Browser.GetFromJsonAsync<DirectoryApi.ReferralCountsReport>("/api/directory/referrals/counts", StaffSession.Json);
        Assert.Equal(1, counts!.Total);
        Assert.Equal([new DirectoryApi.ReferralCount(ReferralMethod.NumberGiven, 1)], counts.ByMethod);
        Assert.Equal(HttpStatusCode.Forbidden, (await _advisor.Browser.GetAsync("/api/directory/referrals/counts")).StatusCode);
    }

    [Fact]
    public async Task ReadingAContactsReferralsIsAuditedWithWhoReadThem()
    {
        var (contact, _, _) = await OnACallAsync();
        await _advisor.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = await _app.FacilityIdAsync("Front Range Residential"), how = "NumberGiven" });
        await _app.CreateStaffAsync("colleague@test.example", Roles.Advisor);
        var colleague = await _app.SignInAsync("colleague@test.example");

        var response = await colleague.Browser.GetAsync($"/api/contacts/{contact}/referrals");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var audit = await _app.WithDbAsync(db => db.AuditEntries.AsNoTracking().SingleAsync(a => a.Action == "contact.referrals-viewed"));
        Assert.Equal((contact, "colleague@test.example", "1 referral(s)"), (audit.ContactId!.Value, audit.UserName, audit.Details));
        Assert.Equal(HttpStatusCode.NotFound, (await colleague.Browser.GetAsync("/api/contacts/999999/referrals")).StatusCode);
        Assert.Equal(1, await _app.WithDbAsync(db => db.AuditEntries.CountAsync(a => a.Action == "contact.referrals-viewed")));
    }

    [Fact]
    public async Task AWarmTransferDialsTheFacilitysIntakeLineIntoTheCallersConference()
    {
        var (contact, callSid, advisorCall) = await OnACallAsync();
        var facility = await _app.FacilityIdAsync("Mile High Recovery Center");

        var response = await _advisor.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = facility, how = "WarmTransfer" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var placed = _app.Twilio.CallsPlaced.Last();
        Assert.Equal("+13035550101", placed["To"]);
        Assert.Equal("+18005550100", placed["From"]);
        Assert.Equal($"https://localhost/twilio/voice/bridge/transfer?contact={contact}", placed["Url"]);
        Assert.Equal($"https://localhost/twilio/voice/bridge/transfer-status?contact={contact}", placed["StatusCallback"]);
        var transferCall = await _app.WithDbAsync(db => db.Referrals.Where(r => r.ContactId == contact).Select(r => r.TransferCallSid).SingleAsync());
        Assert.NotNull(transferCall);

        // The facility answers: its leg joins the caller's conference.
        var twiml = await (await _app.PostTwilioAsync($"/twilio/voice/bridge/transfer?contact={contact}", Inbound(transferCall!))).TwimlAsync();
        twiml.One($"/Response/Dial/Conference[.='contact-{contact}']");
        // The crisis line can still be called in after a facility.
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contact}/crisis-transfer")).StatusCode);
        Assert.Equal("+18002738255", _app.Twilio.CallsPlaced.Last()["To"]);
        // The advisor leaves; the caller stays with the facility (they are not hung up on).
        await _app.AdvisorLegAsync(contact, advisorCall, "completed", 2);
        Assert.DoesNotContain(_app.Twilio.CallUpdates, u => u.CallSid == callSid && u["Status"] == "completed");
    }

    [Fact]
    public async Task ACrisisLineThatAnswersAtOnceJoinsTheCallerStraightAway()
    {
        var (contact, _, _) = await OnACallAsync();
        HttpResponseMessage? twiml = null;
        // A crisis line's recorded greeting answers before the app has the leg's SID from Twilio.
        _app.Twilio.OnCallPlaced = async (placed, sid) => twiml = await _app.PostTwilioAsync(new Uri(placed["Url"]!).PathAndQuery, Inbound(sid));

        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contact}/crisis-transfer")).StatusCode);

        (await twiml!.TwimlAsync()).One($"/Response/Dial/Conference[.='contact-{contact}']");
        // A transfer leg for a caller nobody is talking to is not put into an empty conference.
        _app.Twilio.OnCallPlaced = null;
        var (waiting, _) = await _app.CallerWaitsAsync("+12125550149");
        (await (await _app.PostTwilioAsync($"/twilio/voice/bridge/transfer?contact={waiting}", Inbound(NewCallSid()))).TwimlAsync()).One("/Response/Hangup");
    }

    [Fact]
    public async Task AWarmTransferNeedsTheCallerOnTheLineAndAnIntakeNumber()
    {
        var (waiting, _) = await _app.CallerWaitsAsync("+12125550148");
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var mileHigh = await _app.FacilityIdAsync("Mile High Recovery Center");
        var notYetTalking = await supervisor.PostAsync($"/api/contacts/{waiting}/referrals", new { facilityId = mileHigh, how = "WarmTransfer" });
        Assert.Equal(HttpStatusCode.Conflict, notYetTalking.StatusCode);

        var (contact, _, _) = await OnACallAsync();
        var noNumber = await _advisor.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = await _app.FacilityIdAsync("Englewood Recovery"), how = "WarmTransfer" });
        Assert.Equal(HttpStatusCode.Conflict, noNumber.StatusCode);
        Assert.Contains("no intake number", await noNumber.Content.ReadAsStringAsync());

        var unknown = await _advisor.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = 999_999, how = "NumberGiven" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var badHow = await _advisor.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = mileHigh, how = 7 });
        Assert.Equal(HttpStatusCode.BadRequest, badHow.StatusCode);

        await _app.CreateStaffAsync("other@test.example", Roles.Advisor);
        var other = await _app.SignInAsync("other@test.example");
        var notTheirs = await other.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = mileHigh, how = "NumberGiven" });
        Assert.Equal(HttpStatusCode.Forbidden, notTheirs.StatusCode);

        Assert.Equal(0, await _app.WithDbAsync(db => db.Referrals.CountAsync()));
    }
}
