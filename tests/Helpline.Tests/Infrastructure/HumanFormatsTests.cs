using Helpline.Contacts;
using Helpline.Infrastructure;

namespace Helpline.Tests.Infrastructure;

/// <summary>Numbers, times and labels as a caller or an advisor reads them, in both languages.</summary>
public sealed class HumanFormatsTests
{
    [Theory]
    [InlineData("+18005550100", "1-800-555-0100", "tel:+18005550100")]
    [InlineData("303-555-0101", "1-303-555-0101", "tel:+13035550101")]
    [InlineData("(212) 555-0147", "1-212-555-0147", "tel:+12125550147")]
    [InlineData("+442079460958", "+44 20 7946 0958", "tel:+442079460958")]
    [InlineData("call us", "call us", "tel:")]
    [InlineData("", "", "tel:")]
    public void PhoneNumbersReadAsWrittenAndDialInE164(string given, string shown, string href)
    {
        Assert.Equal(shown, HumanFormats.Phone(given));
        Assert.Equal(href, HumanFormats.Tel(given));
    }

    [Theory]
    [InlineData(8, 0, "en", "8 AM")]
    [InlineData(21, 0, "en", "9 PM")]
    [InlineData(12, 30, "en", "12:30 PM")]
    [InlineData(0, 15, "en", "12:15 AM")]
    [InlineData(8, 0, "es", "8 a. m.")]
    [InlineData(21, 30, "es", "9:30 p. m.")]
    public void TimesReadTheWayPeopleSayThem(int hour, int minute, string lang, string expected) =>
        Assert.Equal(expected, HumanFormats.Time(new TimeOnly(hour, minute), lang));

    [Fact]
    public void CallbackWindowsAreNamedInTheCallersZone()
    {
        Assert.Equal("8 AM–9 PM Eastern time", HumanFormats.Window(new(8, 0), new(21, 0), "America/New_York", "en"));
        Assert.Equal("10 AM–12 PM Pacific time", HumanFormats.Window(new(10, 0), new(12, 0), "America/Los_Angeles", "en"));
        Assert.Equal("8 a. m.–9 p. m., hora del Este", HumanFormats.Window(new(8, 0), new(21, 0), "America/New_York", "es"));
        Assert.Equal("8 AM–9 PM Europe/Madrid time", HumanFormats.Window(new(8, 0), new(21, 0), "Europe/Madrid", "en"));
    }

    [Fact]
    public void MomentsAreOnTheCallersClockAcrossDaylightSaving()
    {
        // 15:14 UTC is 9:14 in Chicago in November (CST) and 10:14 in July (CDT).
        Assert.Equal("Nov 25, 2026, 9:14 AM Central time", HumanFormats.Moment(new DateTime(2026, 11, 25, 15, 14, 0, DateTimeKind.Utc), "America/Chicago", "en"));
        Assert.Equal("Jul 1, 2026, 10:14 AM Central time", HumanFormats.Moment(new DateTime(2026, 7, 1, 15, 14, 0, DateTimeKind.Utc), "America/Chicago", "en"));
        Assert.EndsWith("9:14 a. m., hora del Centro", HumanFormats.Moment(new DateTime(2026, 11, 25, 15, 14, 0, DateTimeKind.Utc), "America/Chicago", "es"));
        Assert.EndsWith("3:14 PM UTC", HumanFormats.Moment(new DateTime(2026, 11, 25, 15, 14, 0, DateTimeKind.Utc), "Not/AZone", "en"));
    }

    [Fact]
    public void EnumNamesBecomeLabels()
    {
        Assert.Equal("Callback scheduled", HumanFormats.Label(Disposition.CallbackScheduled));
        Assert.Equal("Referred to treatment", HumanFormats.Label(Disposition.ReferredToTreatment));
        Assert.Equal("Crisis escalated to 911", HumanFormats.Label(Disposition.CrisisEscalated911));
        Assert.Equal("Para un ser querido", HumanFormats.Label(ContactFor.LovedOne, "es"));
        Assert.Equal("Loved one", HumanFormats.Label(ContactFor.LovedOne));
    }
}
