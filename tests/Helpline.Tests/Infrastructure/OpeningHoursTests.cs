using Helpline.Callbacks;
using Helpline.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Helpline.Tests.Infrastructure;

public sealed class OpeningHoursTests
{
    private static (OpeningHours Hours, HelplineTime Time) Build(Dictionary<DayOfWeek, string> weekly, params DateOnly[] holidays)
    {
        var options = Options.Create(new HelplineOptions { TimeZone = "America/New_York", OpeningHours = weekly, Holidays = [.. holidays] });
        var time = new HelplineTime(new FakeTimeProvider(), options);
        return (new OpeningHours(time, options), time);
    }

    private static Dictionary<DayOfWeek, string> Every(string hours) => Enum.GetValues<DayOfWeek>().ToDictionary(d => d, _ => hours);

    [Theory]
    [InlineData("2026-11-25T12:59:00Z", false)] // 07:59 in New York
    [InlineData("2026-11-25T13:00:00Z", true)]  // 08:00
    [InlineData("2026-11-26T02:59:00Z", true)]  // 21:59
    [InlineData("2026-11-26T03:00:00Z", false)] // 22:00
    public void OpenFromTheFirstMinuteToJustBeforeTheLast(string utc, bool open)
    {
        var (hours, _) = Build(Every("08:00-22:00"));

        Assert.Equal(open, hours.IsOpen(DateTime.Parse(utc).ToUniversalTime()));
    }

    [Fact]
    public void SplitDaysAndClosedDaysAndHolidaysAreHonoured()
    {
        var weekly = Every("08:00-12:00, 13:00-17:00");
        weekly[DayOfWeek.Sunday] = "closed";
        var (hours, _) = Build(weekly, new DateOnly(2026, 12, 25));

        Assert.True(hours.IsOpen(new DateTime(2026, 11, 25, 16, 0, 0, DateTimeKind.Utc)));  // Wed 11:00
        Assert.False(hours.IsOpen(new DateTime(2026, 11, 25, 17, 30, 0, DateTimeKind.Utc))); // Wed 12:30, lunch
        Assert.False(hours.IsOpen(new DateTime(2026, 11, 29, 16, 0, 0, DateTimeKind.Utc)));  // Sunday
        Assert.False(hours.IsOpen(new DateTime(2026, 12, 25, 16, 0, 0, DateTimeKind.Utc)));  // holiday
        Assert.Equal(new DateTime(2026, 12, 26, 13, 0, 0, DateTimeKind.Utc), hours.NextOpening(new DateTime(2026, 12, 25, 16, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void NextOpeningAcrossTheSpringDaylightSavingChangeIsAtLocalEight()
    {
        // Sunday 8 March 2026: New York moves from UTC-5 to UTC-4 at 02:00.
        var (hours, time) = Build(Every("08:00-22:00"));

        var next = hours.NextOpening(new DateTime(2026, 3, 8, 4, 0, 0, DateTimeKind.Utc)); // Saturday 23:00 EST

        Assert.Equal(new DateTime(2026, 3, 8, 12, 0, 0, DateTimeKind.Utc), next);           // 08:00 EDT
        Assert.Equal(8, time.Stamp(next!.Value).Hour);
    }

    [Fact]
    public void LocalStampFollowsTheFallDaylightSavingChange()
    {
        // Sunday 1 November 2026: New York goes back from UTC-4 to UTC-5 at 02:00.
        var (_, time) = Build(Every("00:00-24:00"));

        Assert.Equal(new LocalStamp(new DateOnly(2026, 10, 31), 23, DayOfWeek.Saturday), time.Stamp(new DateTime(2026, 11, 1, 3, 30, 0, DateTimeKind.Utc)));
        Assert.Equal(new LocalStamp(new DateOnly(2026, 11, 1), 1, DayOfWeek.Sunday), time.Stamp(new DateTime(2026, 11, 1, 5, 30, 0, DateTimeKind.Utc)));
        Assert.Equal(new LocalStamp(new DateOnly(2026, 11, 1), 1, DayOfWeek.Sunday), time.Stamp(new DateTime(2026, 11, 1, 6, 30, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void CallbackWaitsForTheCallersEightOClockAndTheLineToBeOpen()
    {
        var (hours, _) = Build(Every("08:00-22:00"));
        var lateInNewYork = new DateTime(2026, 11, 26, 3, 30, 0, DateTimeKind.Utc); // 22:30 New York, 19:30 Los Angeles

        // Los Angeles at 19:30 is inside 08:00-21:00, but the line is closed: tomorrow 08:00 Pacific is the first fit.
        Assert.Equal(new DateTime(2026, 11, 26, 16, 0, 0, DateTimeKind.Utc),
            CallbackWindow.FirstDueTime(lateInNewYork, "America/Los_Angeles", CallbackWindow.Earliest, CallbackWindow.Latest, hours));
        // A narrower window asked for by the caller is respected.
        Assert.Equal(new DateTime(2026, 11, 26, 19, 0, 0, DateTimeKind.Utc),
            CallbackWindow.FirstDueTime(lateInNewYork, "America/Los_Angeles", new TimeOnly(11, 0), new TimeOnly(12, 0), hours));
    }

    [Theory]
    [InlineData("8-17")]
    [InlineData("17:00-08:00")]
    [InlineData("08:00-25:00")]
    public void HoursThatCannotBeReadAreRefused(string text)
    {
        Assert.Throws<OptionsValidationException>(() => OpeningHours.Parse(text, DayOfWeek.Monday));
    }
}
