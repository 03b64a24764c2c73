using Helpline.Tests.Infrastructure;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Calls;

public sealed class CallLogTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync()
    {
        // Everything, down to EF Core's SQL and Kestrel's traces.
        _app.Settings["Logging:LogLevel:Default"] = "Trace";
        _app.Settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        _app.Settings["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Trace";
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task NoLogLineOfACallContainsTheCallersNumberNameOrRecording()
    {
        const string recording = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE5555aaaa5555aaaa5555aaaa5555aaaa";
        await _app.AdvisorOnDutyAsync();
        var answered = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(answered));
        await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(answered).With(("Digits", "2")));
        await _app.PostTwilioAsync("/twilio/voice/wait", Inbound(answered));
        await _app.PostTwilioAsync("/twilio/voice/status", Inbound(answered).With(("CallStatus", "completed"), ("SequenceNumber", "4")));

        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var voicemail = NewCallSid();
        await _app.PostTwilioAsync("/twilio/voice/incoming", Inbound(voicemail));
        await _app.PostTwilioAsync("/twilio/voice/voicemail", Inbound(voicemail).With(("RecordingUrl", recording), ("RecordingDuration", "12")));
        await _app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound("garbled"));

        var lines = _app.Logs.Lines.ToList();
        // The capture works: the call is traceable by its CallSid and EF's SQL is there.
        Assert.Contains(lines, l => l.Contains(answered));
        Assert.Contains(lines, l => l.Contains("INSERT INTO \"Callers\""));
        foreach (var secret in new[] { CallerNumber, CallerNumber[2..], "555-0147", "5550147", CallerName, "Zorblax", "Quennet", "RE5555aaaa5555aaaa" })
            Assert.DoesNotContain(lines, l => l.Contains(secret, StringComparison.OrdinalIgnoreCase));
    }
}
