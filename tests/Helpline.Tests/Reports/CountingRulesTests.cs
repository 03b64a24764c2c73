using System.Globalization;
using System.Net;
using Helpline.Accounts;
using Helpline.Reports;
using Helpline.Tests.Infrastructure;
using Helpline.Tests.Queue;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Reports;

/// <summary>What the reports count, and that a change to the counting rules reaches the days already kept.</summary>
public sealed class CountingRulesTests : IAsyncLifetime
{
    // Wednesday 25 November 2026, 10:00 in New York (the app's default test clock).
    private static readonly DateOnly Day = new(2026, 11, 25);
    private readonly HelplineApp _app = new();

    public async ValueTask InitializeAsync() => await _app.CreateStaffAsync("supervisor@test.example", Roles.Supervisor);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task AFollowUpCountsAsAContactOfTheDayItIsDueNotOfTheDayItWasBooked()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        var advisor = await _app.SignInAsync("advisor@test.example");
        var (contact, callSid) = await _app.CallerWaitsAsync("+12125550147");
        await advisor.PostAsync($"/api/contacts/{contact}/take");
        await _app.AdvisorLegAsync(contact, (await _app.ContactAsync(contact)).AdvisorCallSid!, "in-progress", 1);
        await _app.CallerStatusAsync(callSid, "completed", 2);
        var done = await advisor.PostAsync($"/api/contacts/{contact}/complete", new
        {
            disposition = "CallbackScheduled",
            followUp = new { date = "2026-11-27", windowStart = "10:00", windowEnd = "12:00", callerAgreed = true },
        });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        Assert.Equal(1, (await TotalsAsync(Day))["contacts"]);
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 28, 14, 0, 0, TimeSpan.Zero));
        Assert.Equal(1, (await TotalsAsync(Day))["contacts"]);
        Assert.Equal(0, (await TotalsAsync(Day.AddDays(1)))["contacts"]);
        Assert.Equal(1, (await TotalsAsync(Day.AddDays(2)))["contacts"]);
    }

    [Fact]
    public async Task KeptDaysCountedUnderEarlierRulesAreRecountedWhenNextRead()
    {
        await _app.CreateStaffAsync("advisor@test.example", Roles.Advisor, presence: Presence.Available);
        await _app.CallerWaitsAsync("+12125550147", digit: "9");
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 14, 0, 0, TimeSpan.Zero));
        var kept = await TotalsAsync(Day);
        Assert.Equal((0, 1), (kept["crisis transfers by advisors"], kept["crisis line from the menu or queue"]));

        // The day as an earlier version kept it: the press of 9 counted a second time, as an advisor's transfer.
        await _app.WithDbAsync(db => db.ReportCounts.Where(r => r.LocalDate == Day && r.CrisisLineFromMenu == 1)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CrisisTransfersByAdvisor, 1)));
        // Kept counts are trusted while they were counted under today's rules...
        Assert.Equal(1, (await TotalsAsync(Day))["crisis transfers by advisors"]);

        // ...and recounted once they say they were counted under earlier ones.
        await _app.WithDbAsync(db => db.ReportDays.Where(d => d.LocalDate == Day)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Formulas, ReportQueries.FormulasVersion - 1)));
        var recounted = await TotalsAsync(Day);
        Assert.Equal((0, 1), (recounted["crisis transfers by advisors"], recounted["crisis line from the menu or queue"]));
        Assert.Equal(ReportQueries.FormulasVersion, await _app.WithDbAsync(db => db.ReportDays.Where(d => d.LocalDate == Day).Select(d => d.Formulas).SingleAsync()));
    }

    private async Task<Dictionary<string, int>> TotalsAsync(DateOnly day)
    {
        var supervisor = await _app.SignInAsync("supervisor@test.example");
        var lines = await supervisor.ReportRowsAsync("totals", day, day);
        return lines.Where(r => int.TryParse(r[1], CultureInfo.InvariantCulture, out _)).ToDictionary(r => r[0], r => int.Parse(r[1], CultureInfo.InvariantCulture));
    }
}
