using System.Net;
using System.Text;
using System.Text.Json;
using Helpline.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Infrastructure;

/// <summary>
/// A body whose Content-Type names a charset .NET refuses to decode (UTF-7 under any of its names)
/// or does not know: a person gets 415 with problem details, a webhook 403 (its signature cannot be
/// proven), never a 500, and nothing is stored.
/// </summary>
public sealed class UnreadableCharsetTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public async ValueTask InitializeAsync()
    {
        await _app.AdvisorOnDutyAsync();
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    public static TheoryData<string, string> FormsAndCharsets => new()
    {
        { "/get-help", "utf-7" }, { "/get-help", "UTF-7" }, { "/get-help", "x-unicode-2-0-utf-7" },
        { "/sign-in", "utf-7" }, { "/sign-in", "csUnicode11UTF7" },
        { "/set-password", "utf-7" },
        { "/sign-in/two-factor", "unicode-1-1-utf-7" },
    };

    [Theory]
    [MemberData(nameof(FormsAndCharsets))]
    public async Task PublicFormPostedInAnUnreadableCharsetIs415WithAReasonAndStoresNothing(string path, string charset)
    {
        var browser = _app.CreateBrowser();
        var token = await browser.TokenAsync(path == "/get-help" ? "/get-help" : "/sign-in");
        var before = await StoredAsync();

        var response = await browser.PostAsync(path, Form(
            $"Name=Sam&Phone=2125550147&For=Self&When=asap&MayCall=true&Email=on-duty%40test.example&Password=x&__RequestVerificationToken={Uri.EscapeDataString(token)}", charset));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Unsupported charset", problem.RootElement.GetProperty("title").GetString());
        Assert.Contains("UTF-8", problem.RootElement.GetProperty("detail").GetString());
        Assert.Equal(before, await StoredAsync());
        Assert.DoesNotContain(_app.Logs.Lines, l => l.StartsWith("Error"));
    }

    [Fact]
    public async Task TheFormsTooManyRequestsPageReadsAnUnreadableCharsetAsEnglish()
    {
        var browser = _app.CreateBrowser();
        for (var i = 0; i < IntakeLimit; i++)
            await browser.SendAsync(FromAddress(new HttpRequestMessage(HttpMethod.Post, "/get-help") { Content = Form("Name=Sam", "utf-8") }));

        var response = await browser.SendAsync(FromAddress(new HttpRequestMessage(HttpMethod.Post, "/get-help") { Content = Form("Lang=es", "utf-7") }));

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Contains("lang=\"en\"", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain(_app.Logs.Lines, l => l.StartsWith("Error"));
    }

    [Theory]
    [InlineData("/twilio/voice/incoming", "utf-7")]
    [InlineData("/twilio/sms/incoming", "utf-7")]
    [InlineData("/twilio/voice/incoming", "x-unicode-1-1-utf-7")]
    public async Task SignedWebhookInAnUnreadableCharsetIs403AndStoresNothing(string path, string charset)
    {
        // Signed correctly for the UTF-8 reading of the same bytes: only the charset is wrong.
        var form = Calls.Inbound(Calls.NewCallSid()).With(("Body", "STOP"), ("MessageSid", "SM" + new string('1', 32)));
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = Form(await new FormUrlEncodedContent(form).ReadAsStringAsync(), charset),
        };
        request.Headers.Add("X-Twilio-Signature", TwilioSigning.Sign(HelplineApp.AuthToken, "http://localhost" + path, form));
        var before = await StoredAsync();

        var response = await _app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, await StoredAsync());
        Assert.Contains(_app.Logs.Lines, l => l.StartsWith("Warning") && l.Contains("unreadable body"));
        var errors = _app.Logs.Lines.Where(l => l.StartsWith("Error")).ToList();
        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    [Theory]
    [InlineData("utf-7")]
    [InlineData("no-such-charset")]
    public async Task StaffJsonInAnUnreadableCharsetIs415(string charset)
    {
        var advisor = await _app.SignInAsync("on-duty@test.example");
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"presence\":\"Break\"}"));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json; charset=" + charset);

        var response = await advisor.Browser.PutAsync("/api/presence", content);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(Presence.Available, await _app.WithDbAsync(db => db.Users.Where(u => u.Email == "on-duty@test.example").Select(u => u.Presence).SingleAsync()));
        Assert.DoesNotContain(_app.Logs.Lines, l => l.StartsWith("Error"));
    }

    private const int IntakeLimit = Helpline.Intake.IntakeExtensions.PerAddressPerTenMinutes;

    private static HttpRequestMessage FromAddress(HttpRequestMessage request)
    {
        request.Headers.Add(ClientAddressFromTestHeader.Header, "10.9.9.9");
        return request;
    }

    private static ByteArrayContent Form(string body, string charset)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/x-www-form-urlencoded; charset=" + charset);
        return content;
    }

    private Task<(int Callers, int Contacts, int Consents, int Callbacks)> StoredAsync() => _app.WithDbAsync(async db =>
        (await db.Callers.CountAsync(), await db.Contacts.CountAsync(), await db.Consents.CountAsync(), await db.Callbacks.CountAsync()));
}
