using System.Net;
using Helpline.Tests.Infrastructure;

namespace Helpline.Tests.Calls;

public sealed class SignatureSurgeTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync()
    {
        _app.Settings["Twilio:SignatureFailureThreshold"] = "5";
        _app.Settings["Twilio:SignatureFailureWindowSeconds"] = "60";
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task FewRefusalsLeaveHealthAlone()
    {
        await RefuseAsync(4);

        var health = await _app.CreateClient().GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync());
        Assert.DoesNotContain(_app.Logs.Lines, SurgeWarning);
    }

    [Fact]
    public async Task SurgeOfRefusalsMakesHealthDegradedWithTheLikelyCause()
    {
        await RefuseAsync(5);

        var health = await _app.CreateClient().GetAsync("/healthz");
        var text = await health.Content.ReadAsStringAsync();

        // Still 200: forged requests alone must not make a load balancer drop the helpline.
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.StartsWith("Degraded", text);
        Assert.Contains("5 requests to /twilio/ refused", text);
        Assert.Contains("Twilio:PublicBaseUrl", text);
        Assert.Contains("X-Forwarded-Host", text);
        Assert.DoesNotContain(HelplineApp.AuthToken, text);
    }

    [Fact]
    public async Task SurgeIsLoggedOncePerWindow()
    {
        await RefuseAsync(12);
        Assert.Single(_app.Logs.Lines, SurgeWarning);

        _app.Clock.Advance(TimeSpan.FromSeconds(61));
        await RefuseAsync(5);

        Assert.Equal(2, _app.Logs.Lines.Count(SurgeWarning));
    }

    [Fact]
    public async Task HealthRecoversOnceTheWindowHasPassed()
    {
        await RefuseAsync(6);
        Assert.StartsWith("Degraded", await _app.CreateClient().GetStringAsync("/healthz"));

        _app.Clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal("Healthy", await _app.CreateClient().GetStringAsync("/healthz"));
    }

    [Fact]
    public async Task SignedWebhooksAreNotCounted()
    {
        for (var i = 0; i < 6; i++)
            Assert.Equal(HttpStatusCode.OK, (await _app.PostTwilioAsync("/twilio/voice/incoming", Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid()))).StatusCode);

        Assert.Equal("Healthy", await _app.CreateClient().GetStringAsync("/healthz"));
    }

    private static bool SurgeWarning(string line) => line.StartsWith("Warning") && line.Contains("were refused for their signature in the last 60 s");

    private async Task RefuseAsync(int count)
    {
        var client = _app.CreateClient();
        for (var i = 0; i < count; i++)
        {
            var response = await client.PostAsync("/twilio/voice/incoming", new FormUrlEncodedContent(Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid())));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
    }
}
