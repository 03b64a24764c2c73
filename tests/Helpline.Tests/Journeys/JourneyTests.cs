using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Helpline.Accounts;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Telephony.Simulator;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Helpline.Tests.Reports;
using Helpline.Tests.TreatmentDirectory;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Journeys;

/// <summary>
/// Whole journeys, one for each promise the README's tour and the phone menu (docs/callers.md) make, driven as people drive
/// them: callers through the built-in simulator (playing Twilio and every phone), staff through the
/// API and pages. Each ends with what the person would notice (which phone rang, what they heard)
/// and the supervisor's report of the day worked out by hand, read on the day and again on the next
/// day, when it comes from the kept counts.
/// </summary>
public sealed partial class JourneyTests : IAsyncLifetime
{
    private const string CallerNumber = "+12125550147";
    private const string OtherCallerNumber = "+12125550162";
    private const string AdvisorPhone = "+13125550188";
    private const string CrisisLine = "+18002738255";

    /// <summary>Wednesday 25 November 2026 in New York, where the helpline is; it opens 08:00–22:00.</summary>
    private static readonly DateOnly Day = new(2026, 11, 25);

    private readonly HelplineApp _app = new();
    private StaffSession _advisor = null!;

    public async ValueTask InitializeAsync()
    {
        _app.Settings["Simulator:Enabled"] = "true";
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, AdvisorLanguages.English | AdvisorLanguages.Spanish, Presence.Available, AdvisorPhone);
        await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);
        _advisor = await _app.SignInAsync("advisor@test.example");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private TwilioSimulator Simulator => _app.Services.GetRequiredService<TwilioSimulator>();

    [Fact]
    public async Task CallerWhoWaitsIsAnsweredByAnAdvisorAndCountedOnce()
    {
        var caller = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(caller.Sid, "1");
        Assert.True(caller.InQueue);
        Assert.Contains(caller.Log, e => e.Text.Contains("You are number 1 in line."));

        _app.Clock.Advance(TimeSpan.FromSeconds(20));
        var advisorPhone = await TakeNextAndAnswerAsync();
        Assert.Equal(advisorPhone.Conference, caller.Conference);

        _app.Clock.Advance(TimeSpan.FromMinutes(3));
        await Simulator.PersonHangsUpAsync(caller.Sid);
        await CompleteAsync(caller.Sid, "InformationGiven");

        await ReportSaysAsync(Day, contacts: 1, answered: 1, withinThreshold: 1, abandoned: 0, callbacks: 0, crisisByAdvisor: 0, crisisFromMenu: 0);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task CallerWhoHangsUpWhileWaitingIsCountedAsAbandonedAndNobodyIsRung()
    {
        var caller = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(caller.Sid, "2");
        _app.Clock.Advance(TimeSpan.FromSeconds(40));

        await Simulator.PersonHangsUpAsync(caller.Sid);

        Assert.DoesNotContain(Simulator.Calls, c => c.Direction == "outbound-api");
        Assert.Equal(HttpStatusCode.NotFound, (await _advisor.PostAsync("/api/queue/take-next")).StatusCode);
        await ReportSaysAsync(Day, contacts: 1, answered: 0, withinThreshold: 0, abandoned: 1, callbacks: 0, crisisByAdvisor: 0, crisisFromMenu: 0);
    }

    [Fact]
    public async Task CallerWhoPressesOneIsCalledBackAtTheirPlaceInLine()
    {
        var first = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(first.Sid, "1");
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        var second = await Simulator.CallInAsync(OtherCallerNumber);
        await Simulator.PressAsync(second.Sid, "1");
        Assert.Contains(second.Log, e => e.Text.Contains("You are number 2 in line."));

        await Simulator.PressAsync(first.Sid, "1");
        Assert.True(first.Ended);
        Assert.Contains(first.Log, e => e.Kind == "say" && e.Text.Contains("You keep your place in line"));

        // The next advisor free takes the first caller, ahead of the one still on the line: their phone rings.
        _app.Clock.Advance(TimeSpan.FromSeconds(10));
        await TakeNextAndAnswerAsync();
        var callBack = await RingingAsync(CallerNumber);
        Assert.Equal("+18005550100", callBack.From);
        await Simulator.AnswerAsync(callBack.Sid);
        Assert.NotNull(callBack.Conference);
        Assert.True(second.InQueue);

        _app.Clock.Advance(TimeSpan.FromMinutes(2));
        await Simulator.PersonHangsUpAsync(callBack.Sid);
        await CompleteAsync(first.Sid, "InformationGiven");

        // Then the caller who stayed on the line.
        await TakeNextAndAnswerAsync();
        Assert.NotNull(second.Conference);

        await ReportSaysAsync(Day, contacts: 2, answered: 2, withinThreshold: 0, abandoned: 0, callbacks: 1, crisisByAdvisor: 0, crisisFromMenu: 0,
            callbacksPlaced: 1, callbacksCompleted: 1);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task CallbackWhoseAdvisorHangsUpFirstIsCountedAsReached()
    {
        // The two legs report their end in either order; here the advisor's comes first.
        var caller = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(caller.Sid, "1");
        await Simulator.PressAsync(caller.Sid, "1");
        Assert.True(caller.Ended);

        var advisorPhone = await TakeNextAndAnswerAsync();
        var callBack = await RingingAsync(CallerNumber);
        await Simulator.AnswerAsync(callBack.Sid);
        _app.Clock.Advance(TimeSpan.FromMinutes(4));
        await Simulator.PersonHangsUpAsync(advisorPhone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        Assert.True(callBack.Ended, "the caller's phone is hung up with the advisor's");
        await CompleteAsync(caller.Sid, "InformationGiven");

        await ReportSaysAsync(Day, contacts: 1, answered: 1, withinThreshold: 1, abandoned: 0, callbacks: 1, crisisByAdvisor: 0, crisisFromMenu: 0,
            callbacksPlaced: 1, callbacksCompleted: 1);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task CallerWhoPressesOneBeforeTheirHoursIsToldSoAndCalledWhenTheyBegin()
    {
        // 10:00 in New York is 7:00 in Los Angeles, where the caller's number is: too early to call them.
        const string LosAngeles = "+13105550147";
        var caller = await Simulator.CallInAsync(LosAngeles);
        await Simulator.PressAsync(caller.Sid, "1");
        await Simulator.PressAsync(caller.Sid, "1");

        Assert.True(caller.Ended);
        Assert.Contains(caller.Log, e => e.Kind == "say" && e.Text.Contains("We only call between 8 in the morning and 9 at night your time"));
        Assert.Equal(HttpStatusCode.NotFound, (await _advisor.PostAsync("/api/queue/take-next")).StatusCode);

        // 8:00 in Los Angeles: the callback is due, and their phone rings.
        Assert.Equal(new DateTime(2026, 11, 25, 16, 0, 0, DateTimeKind.Utc), await FireCallbackJobAsync());
        await TakeNextAndAnswerAsync();
        await Simulator.AnswerAsync((await RingingAsync(LosAngeles)).Sid);
        Assert.Equal(ContactStatus.InProgress, (await _app.ContactAsync(await ContactIdAsync(caller.Sid))).Status);
        Assert.Empty(Simulator.Errors);
    }

    public enum WhereNine { AtTheMenu, WhileWaiting, AfterHours }

    [Theory]
    [InlineData(WhereNine.AtTheMenu)]
    [InlineData(WhereNine.WhileWaiting)]
    [InlineData(WhereNine.AfterHours)]
    public async Task CallerWhoPressesNineReachesTheCrisisLineAndIsCountedOnce(WhereNine where)
    {
        var day = Day;
        if (where == WhereNine.AfterHours)
        {
            _app.Clock.SetUtcNow(Local(Day, 23, 15));
        }
        var caller = await Simulator.CallInAsync(CallerNumber);
        if (where == WhereNine.WhileWaiting)
            await Simulator.PressAsync(caller.Sid, "1");

        await Simulator.PressAsync(caller.Sid, "9");

        Assert.Equal(CrisisLine, caller.DialledNumber);
        Assert.Contains(caller.Log, e => e.Kind == "say" && e.Text.Contains("Connecting you to the crisis line"));
        Assert.DoesNotContain(Simulator.Calls, c => c.Direction == "outbound-api");
        await ReportSaysAsync(day, contacts: 1, answered: 0, withinThreshold: 0, abandoned: 0, callbacks: 0, crisisByAdvisor: 0, crisisFromMenu: 1);
        Assert.Equal("1", await PageFigureAsync(day, "crisis"));
    }

    [Fact]
    public async Task AfterHoursVoicemailIsCalledBackInTheMorningAndCompleted()
    {
        _app.Clock.SetUtcNow(Local(Day, 23, 30));
        var night = await Simulator.CallInAsync(CallerNumber);
        Assert.Contains(night.Log, e => e.Text.Contains("not available right now"));
        await Simulator.NoInputAsync(night.Sid);
        Assert.Contains(night.Log, e => e.Kind == "say" && e.Text.Contains("we may call you back at this number"));
        await Simulator.LeaveMessageAsync(night.Sid, 25);
        Assert.True(night.Ended);
        await ReportSaysAsync(Day, contacts: 1, answered: 0, withinThreshold: 0, abandoned: 0, callbacks: 1, crisisByAdvisor: 0, crisisFromMenu: 0, nextDay: false);

        // 8:00 the next morning, the first moment the caller allows and the line is open, the callback's job runs.
        var due = await FireCallbackJobAsync();
        Assert.Equal(Local(Day.AddDays(1), 8, 0).UtcDateTime, due);
        _advisor = await _app.SignInAsync("advisor@test.example");
        await TakeNextAndAnswerAsync();
        var callBack = await RingingAsync(CallerNumber);
        await Simulator.AnswerAsync(callBack.Sid);
        _app.Clock.Advance(TimeSpan.FromMinutes(5));
        await Simulator.PersonHangsUpAsync(callBack.Sid);
        await CompleteAsync(night.Sid, "ReferredToTreatment");

        // A callback waits from its due time: answered the moment it was due, within the service level.
        await ReportSaysAsync(Day, contacts: 1, answered: 1, withinThreshold: 1, abandoned: 0, callbacks: 1, crisisByAdvisor: 0, crisisFromMenu: 0,
            callbacksPlaced: 1, callbacksCompleted: 1, referrals: 1);
        Assert.Empty(Simulator.Errors);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WebFormRequestIsCalledBackInItsWindowWithAMessageOnlyIfAllowed(bool mayLeaveMessage)
    {
        var thanks = await AskForACallbackAsync(mayLeaveMessage, mayText: false);
        Assert.Contains("An advisor will call you as soon as possible", thanks);

        Assert.Equal(Local(Day, 10, 0).UtcDateTime, await FireCallbackJobAsync());
        await TakeNextAndAnswerAsync();
        var callBack = await RingingAsync(CallerNumber);
        await Simulator.MachineAnswersAsync(callBack.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));

        var heard = string.Join("\n", callBack.Log.Where(e => e.Kind == "twiml").Select(e => e.Text));
        if (mayLeaveMessage)
            Assert.Contains("returning your call", heard);
        else
            Assert.DoesNotContain("<Say", heard);
        Assert.Null(callBack.Conference);
        // Not reached: tried again later the same day, inside the window.
        var retry = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        Assert.Equal(CallbackStatus.Scheduled, retry.Status);
        Assert.InRange(retry.DueAt, Local(Day, 10, 30).UtcDateTime, Local(Day, 21, 0).UtcDateTime);

        await ReportSaysAsync(Day, contacts: 1, answered: 0, withinThreshold: 0, abandoned: 0, callbacks: 1, crisisByAdvisor: 0, crisisFromMenu: 0,
            callbacksPlaced: 1, callbacksCompleted: 0);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task NumberBlockedPartWayThroughIsNeverCalledAndTheNextCallerIsTaken()
    {
        // The blocked number's callback is due, at the head of the line; another caller waits behind it.
        var first = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(first.Sid, "1");
        await Simulator.PressAsync(first.Sid, "1");
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        var second = await Simulator.CallInAsync(OtherCallerNumber);
        await Simulator.PressAsync(second.Sid, "1");
        var blockedContact = await ContactIdAsync(first.Sid);

        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var (blocked, _) = await supervisor.SubmitAsync("/blocked-numbers", "/blocked-numbers?handler=Block",
            new() { ["contactId"] = blockedContact.ToString(CultureInfo.InvariantCulture), ["days"] = "30", ["reason"] = "abusive to advisors" });
        Assert.Equal(HttpStatusCode.OK, blocked.StatusCode);

        await TakeNextAndAnswerAsync();
        Assert.NotNull(second.Conference);
        Assert.DoesNotContain(Simulator.Calls, c => c.To == CallerNumber && c.Direction == "outbound-api");
        Assert.Equal(ContactStatus.Cancelled, (await _app.ContactAsync(blockedContact)).Status);

        await ReportSaysAsync(Day, contacts: 2, answered: 1, withinThreshold: 1, abandoned: 0, callbacks: 1, crisisByAdvisor: 0, crisisFromMenu: 0,
            callbacksPlaced: 0, callbacksCompleted: 0);
    }

    [Fact]
    public async Task CallbackWhoseHoursEndLeavesTheQueueThenIsCalledTheNextMorning()
    {
        // 20:50 in New York: the caller presses 1 ten minutes before the latest time they may be called.
        _app.Clock.SetUtcNow(Local(Day, 20, 50));
        _advisor = await _app.SignInAsync("advisor@test.example");
        var first = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(first.Sid, "1");
        await Simulator.PressAsync(first.Sid, "1");
        var second = await Simulator.CallInAsync(OtherCallerNumber);
        await Simulator.PressAsync(second.Sid, "1");
        var kept = await ContactIdAsync(first.Sid);

        // At 21:00 their time the timer takes it out of the queue, without waiting for anyone to try it.
        _app.Clock.SetUtcNow(Local(Day, 21, 1));
        await QueueFlows.EventuallyAsync(async () => (await _app.ContactAsync(kept)).Status == ContactStatus.AwaitingCallback, "the callback to leave the queue at 21:00");
        await TakeNextAndAnswerAsync();
        Assert.NotNull(second.Conference);
        Assert.DoesNotContain(Simulator.Calls, c => c.To == CallerNumber && c.Direction == "outbound-api");
        await Simulator.PersonHangsUpAsync(second.Sid);
        await CompleteAsync(second.Sid, "InformationGiven");

        // 8:00 the next morning it is due again, and this time their phone rings.
        Assert.Equal(Local(Day.AddDays(1), 8, 0).UtcDateTime, await FireCallbackJobAsync());
        _advisor = await _app.SignInAsync("advisor@test.example");
        await TakeNextAndAnswerAsync();
        await Simulator.AnswerAsync((await RingingAsync(CallerNumber)).Sid);
        Assert.Equal(ContactStatus.InProgress, (await _app.ContactAsync(kept)).Status);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task StopTextPartWayThroughStopsTextsButTheCallbackStillHappens()
    {
        await AskForACallbackAsync(mayLeaveMessage: false, mayText: true);
        Assert.Single(TextsTo(CallerNumber));

        await Simulator.TextInAsync(CallerNumber, "STOP");

        await FireCallbackJobAsync();
        await TakeNextAndAnswerAsync();
        var callBack = await RingingAsync(CallerNumber);
        await Simulator.DeclineAsync(callBack.Sid, "no-answer");
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        // The retry, reached this time.
        await FireCallbackJobAsync();
        await TakeNextAndAnswerAsync();
        await Simulator.AnswerAsync((await RingingAsync(CallerNumber)).Sid);

        Assert.Single(TextsTo(CallerNumber));
        Assert.Equal(CallbackStatus.InProgress, (await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync())).Status);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task AdvisorWhoLetsThePhoneRingOutLeavesTheCallerFirstInLineForTheNextAdvisor()
    {
        await _app.CreateStaffAsync("second@test.example", Roles.Advisor, presence: Presence.Available, dialNumber: "+13125550199");
        var caller = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(caller.Sid, "1");
        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync("/api/queue/take-next")).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));

        await Simulator.DeclineAsync((await RingingAsync(AdvisorPhone)).Sid, "no-answer");
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));

        Assert.True(caller.InQueue);
        Assert.Contains(caller.Log, e => e.Text.Contains("You keep your place in line"));
        var me = await _app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "advisor@test.example"));
        Assert.Equal((Presence.Break, "missed a call"), (me.Presence, me.PresenceReason));

        var second = await _app.SignInAsync("second@test.example");
        Assert.Equal(HttpStatusCode.OK, (await second.PostAsync("/api/queue/take-next")).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        await Simulator.AnswerAsync((await RingingAsync("+13125550199")).Sid);
        Assert.NotNull(caller.Conference);

        await ReportSaysAsync(Day, contacts: 1, answered: 1, withinThreshold: 1, abandoned: 0, callbacks: 0, crisisByAdvisor: 0, crisisFromMenu: 0);
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task CrisisWarmTransferJoinsTheCrisisLineAndIsCountedOnce()
    {
        var caller = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(caller.Sid, "1");
        var advisorPhone = await TakeNextAndAnswerAsync();
        var contact = await ContactIdAsync(caller.Sid);

        Assert.Equal(HttpStatusCode.OK, (await _advisor.PostAsync($"/api/contacts/{contact}/crisis-transfer")).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var crisisLine = await RingingAsync(CrisisLine);
        await Simulator.AnswerAsync(crisisLine.Sid);
        Assert.Equal(caller.Conference, crisisLine.Conference);

        // The advisor leaves the caller with the crisis line, who stays on.
        await Simulator.PersonHangsUpAsync(advisorPhone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        Assert.False(caller.Ended);
        await CompleteAsync(caller.Sid, "CrisisEscalated988");

        await ReportSaysAsync(Day, contacts: 1, answered: 1, withinThreshold: 1, abandoned: 0, callbacks: 0, crisisByAdvisor: 1, crisisFromMenu: 0);
        Assert.Equal("1", await PageFigureAsync(Day, "crisis"));
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task ReferralWarmTransferJoinsTheFacilitysIntakeLineAndIsCountedAsAReferral()
    {
        await _app.ImportFixturesAsync();
        var facility = await _app.FacilityIdAsync("Mile High Recovery Center");
        var caller = await Simulator.CallInAsync(CallerNumber);
        await Simulator.PressAsync(caller.Sid, "2");
        var advisorPhone = await TakeNextAndAnswerAsync();
        var contact = await ContactIdAsync(caller.Sid);

        Assert.Equal(HttpStatusCode.Created, (await _advisor.PostAsync($"/api/contacts/{contact}/referrals", new { facilityId = facility, how = "WarmTransfer" })).StatusCode);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var intake = await RingingAsync("+13035550101");
        await Simulator.AnswerAsync(intake.Sid);
        Assert.Equal(caller.Conference, intake.Conference);

        await Simulator.PersonHangsUpAsync(advisorPhone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        Assert.False(caller.Ended);
        await CompleteAsync(caller.Sid, "ReferredToTreatment");

        await ReportSaysAsync(Day, contacts: 1, answered: 1, withinThreshold: 1, abandoned: 0, callbacks: 0, crisisByAdvisor: 0, crisisFromMenu: 0, referrals: 1);
        Assert.Empty(Simulator.Errors);
    }

    // ---- Steps ----

    /// <summary>The advisor takes the next contact; their phone rings and they answer it.</summary>
    private async Task<SimulatedCall> TakeNextAndAnswerAsync()
    {
        var taken = await _advisor.PostAsync("/api/queue/take-next");
        Assert.True(taken.StatusCode == HttpStatusCode.OK, $"take-next answered {(int)taken.StatusCode}: {await taken.Content.ReadAsStringAsync()}");
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var phone = await RingingAsync(AdvisorPhone);
        await Simulator.AnswerAsync(phone.Sid);
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        return phone;
    }

    /// <summary>The phone at <paramref name="number"/> is ringing with a call the app placed.</summary>
    private async Task<SimulatedCall> RingingAsync(string number)
    {
        await QueueFlows.EventuallyAsync(() => Simulator.Calls.Any(c => c.To == number && c.Awaiting == "answer"), $"the phone at {number} to ring");
        return Simulator.Calls.First(c => c.To == number && c.Awaiting == "answer");
    }

    /// <summary>The advisor wraps up the contact of the call <paramref name="callSid"/> once the conversation has ended.</summary>
    private async Task CompleteAsync(string callSid, string disposition)
    {
        await Simulator.IdleAsync(TimeSpan.FromSeconds(15));
        var contact = await ContactIdAsync(callSid);
        await QueueFlows.EventuallyAsync(async () => (await _app.ContactAsync(contact)).Status == ContactStatus.WrapUp, "the call to end in wrap-up");
        _app.Clock.Advance(TimeSpan.FromSeconds(30));
        var completed = await _advisor.PostAsync($"/api/contacts/{contact}/complete", new { disposition });
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
    }

    /// <summary>
    /// Moves the clock to the callback's due time and runs its job, as the job server does then (the
    /// test's clock is not Hangfire's, so the job is run here). Returns the due time.
    /// </summary>
    private async Task<DateTime> FireCallbackJobAsync()
    {
        var callback = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync(c => c.Status == CallbackStatus.Scheduled));
        if (callback.DueAt > _app.Clock.GetUtcNow().UtcDateTime)
            _app.Clock.SetUtcNow(new DateTimeOffset(callback.DueAt));
        await using var scope = _app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CallbackJob>().RunAsync(callback.Id, CancellationToken.None);
        Assert.Equal(ContactStatus.Waiting, (await _app.ContactAsync(callback.ContactId)).Status);
        return callback.DueAt;
    }

    /// <summary>The web form, filled in as a person would, asking to be called as soon as possible.</summary>
    private async Task<string> AskForACallbackAsync(bool mayLeaveMessage, bool mayText)
    {
        var browser = _app.CreateBrowser();
        var form = new Dictionary<string, string>
        {
            ["Name"] = "Sam",
            ["Phone"] = "(212) 555-0147",
            ["For"] = "Self",
            ["Substance"] = "Fentanyl",
            ["When"] = "asap",
            ["TimeZone"] = "America/New_York",
            ["MayCall"] = "true",
            ["__RequestVerificationToken"] = await browser.TokenAsync("/get-help"),
        };
        if (mayLeaveMessage)
            form["MayVoicemail"] = "true";
        if (mayText)
            form["MayText"] = "true";
        var posted = await browser.PostAsync("/get-help", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Redirect, posted.StatusCode);
        return await browser.GetStringAsync(posted.Headers.Location);
    }

    private IReadOnlyList<SimulatedMessage> TextsTo(string number) => Simulator.TextsTo(number);

    private Task<long> ContactIdAsync(string callSid) =>
        _app.WithDbAsync(db => db.Contacts.Where(c => c.CallSid == callSid).Select(c => c.Id).SingleAsync());

    // ---- The report, as a supervisor reads it ----

    /// <summary>
    /// The day's figures as the supervisor downloads them, on the day and (unless <paramref name="nextDay"/>
    /// is false) again the next morning, when the day comes from its kept counts.
    /// </summary>
    private async Task ReportSaysAsync(DateOnly day, int contacts, int answered, int withinThreshold, int abandoned, int callbacks,
        int crisisByAdvisor, int crisisFromMenu, int? callbacksPlaced = null, int? callbacksCompleted = null, int referrals = 0, bool nextDay = true)
    {
        await ReadAsync();
        if (!nextDay)
            return;
        var nextMorning = Local(day.AddDays(1), 9, 0);
        if (_app.Clock.GetUtcNow() < nextMorning)
            _app.Clock.SetUtcNow(nextMorning);
        await ReadAsync();

        async Task ReadAsync()
        {
            var supervisor = await _app.SignInAsync("supervisor@test.example");
            var totals = (await supervisor.ReportRowsAsync("totals", day, day)).ToDictionary(r => r[0], r => r[1]);
            var read = _app.Clock.GetUtcNow().ToString("u", CultureInfo.InvariantCulture);
            Assert.True(
                (contacts, answered, withinThreshold, abandoned, referrals, crisisByAdvisor, crisisFromMenu) ==
                (Int(totals["contacts"]), Int(totals["answered"]), Int(totals["answered within 30 s"]), Int(totals["abandoned"]), Int(totals["referrals"]),
                 Int(totals["crisis transfers by advisors"]), Int(totals["crisis line from the menu or queue"])),
                $"read at {read}: {string.Join(", ", totals.Select(t => $"{t.Key} = {t.Value}"))}");
            var row = (await supervisor.ReportRowsAsync("callbacks", day, day)).Single();
            Assert.Equal(callbacks, Int(row[0]));
            if (callbacksPlaced is { } placed)
                Assert.Equal(placed, Int(row[1]));
            if (callbacksCompleted is { } completed)
                Assert.Equal(completed, Int(row[4]));
        }
    }

    /// <summary>One headline figure of the reports page, as the supervisor sees it.</summary>
    private async Task<string> PageFigureAsync(DateOnly day, string figure)
    {
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var html = await supervisor.Browser.GetStringAsync($"/reports?range=custom&from={day:yyyy-MM-dd}&to={day:yyyy-MM-dd}");
        return Figure().Matches(html).Single(m => m.Groups[1].Value == figure).Groups[2].Value;
    }

    [GeneratedRegex("data-figure=\"([a-z-]+)\">([^<]*)<")]
    private static partial Regex Figure();

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);

    private static DateTimeOffset Local(DateOnly day, int hour, int minute) =>
        new(TimeZoneInfo.ConvertTimeToUtc(day.ToDateTime(new TimeOnly(hour, minute)), TimeZoneInfo.FindSystemTimeZoneById("America/New_York")), TimeSpan.Zero);
}
