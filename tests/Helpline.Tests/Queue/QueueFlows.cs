using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Queue;

/// <summary>Steps of a call as Twilio would drive them, for the queue tests.</summary>
internal static class QueueFlows
{
    /// <summary>A caller dials in and presses <paramref name="digit"/>; returns the contact's id and CallSid.</summary>
    public static async Task<(long Id, string CallSid)> CallerWaitsAsync(this HelplineApp app, string from, string digit = "1", bool spanish = false)
    {
        var sid = NewCallSid();
        await app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid, from: from));
        if (spanish)
            await app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid, from: from).With(("Digits", "3")));
        await app.PostTwilioAsync("/twilio/voice/menu?attempt=1", Inbound(sid, from: from).With(("Digits", digit)));
        var id = await app.WithDbAsync(db => db.Contacts.Where(c => c.CallSid == sid).Select(c => c.Id).SingleAsync());
        return (id, sid);
    }

    public static Task<Contact> ContactAsync(this HelplineApp app, long id) =>
        app.WithDbAsync(db => db.Contacts.AsNoTracking().Include(c => c.Caller).SingleAsync(c => c.Id == id));

    /// <summary>Twilio reports progress on the advisor's leg of a bridged call.</summary>
    public static Task<HttpResponseMessage> AdvisorLegAsync(this HelplineApp app, long contactId, string advisorCallSid, string status, int sequence) =>
        app.PostTwilioAsync($"/twilio/voice/bridge/advisor-status?contact={contactId}", new Dictionary<string, string>
        {
            ["CallSid"] = advisorCallSid,
            ["AccountSid"] = FakeTwilioApi.AccountSid,
            ["From"] = "+18005550100",
            ["To"] = "+15005550199",
            ["CallStatus"] = status,
            ["Direction"] = "outbound-api",
            ["SequenceNumber"] = sequence.ToString(),
        });

    /// <summary>Twilio's status callback for the caller's own call.</summary>
    public static Task<HttpResponseMessage> CallerStatusAsync(this HelplineApp app, string callSid, string status, int sequence) =>
        app.PostTwilioAsync("/twilio/voice/status", Inbound(callSid).With(("CallStatus", status), ("SequenceNumber", sequence.ToString())));

    /// <summary>A caller at night leaves a voicemail: the callback it becomes, scheduled for their morning.</summary>
    public static async Task<Helpline.Callbacks.Callback> VoicemailCallbackAsync(this HelplineApp app, string from)
    {
        var sid = NewCallSid();
        await app.PostTwilioAsync("/twilio/voice/incoming", Inbound(sid, from: from));
        await app.PostTwilioAsync("/twilio/voice/voicemail", Inbound(sid, from: from).With(
            ("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"), ("RecordingDuration", "10")));
        return await app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
    }

    /// <summary>Waits for a condition read from the app (its database, say) with a generous deadline, polling.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Timed out after {seconds} s waiting for {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits for a condition with a generous deadline, polling; never a fixed sleep.</summary>
    public static async Task EventuallyAsync(Func<bool> condition, string what, int seconds = 15, HelplineApp? explainFrom = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"Timed out after {seconds} s waiting for {what}."
                    + (explainFrom is null ? "" : "\nWhat the app logged last:\n" + string.Join("\n", explainFrom.Logs.Lines
                        .Where(l => !l.StartsWith("Trace") && !l.StartsWith("Debug") && !l.Contains("DataProtection") && !l.Contains(" scope: ")).TakeLast(40))
                        + "\nHangfire's jobs:\n" + explainFrom.DescribeJobs()));
            await Task.Delay(20);
        }
    }
}
