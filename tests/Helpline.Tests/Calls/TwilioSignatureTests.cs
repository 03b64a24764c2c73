using System.Net;
using System.Text;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Twilio.Security;

namespace Helpline.Tests.Calls;

public sealed class TwilioSignatureTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    // Twilio's published vectors (from Twilio's documentation of request validation).
    private static readonly Dictionary<string, string> VectorParams = new()
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["Caller"] = "+14158675309",
        ["Digits"] = "1234",
        ["From"] = "+14158675309",
        ["To"] = "+18005551212",
    };

    public static TheoryData<string, string> Vectors => new()
    {
        { "https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=" },
        { "https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=" },
        { "https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "PCqOZm8cnu/L6+u5i5fuEd+Iac4=" },
        { "https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8=" },
        { "http://MyCompany.com/myapp.php?foo=1&bar=2", "XY7AlKOKL6im4yWyX84gldUrtis=" },
        { "http://mycompany.com/myapp.php?foo=1&bar=2", "OyGYPqTF6ztdbRNCvuQO/oPvqQ4=" },
    };

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Theory]
    [MemberData(nameof(Vectors))]
    public void TwilioPublishedVectorsValidate(string url, string expected)
    {
        Assert.Equal(expected, TwilioSigning.Sign("12345", url, VectorParams));
        Assert.True(new RequestValidator("12345").Validate(url, VectorParams, expected));
        Assert.False(new RequestValidator("54321").Validate(url, VectorParams, expected));
    }

    [Fact]
    public void JsonBodyVectorValidates()
    {
        const string body = "{\"property\": \"value\", \"boolean\": true}";
        const string url = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        Assert.True(new RequestValidator("12345").Validate(url, body, "a9nBmqA0ju/hNViExpshrM61xv4="));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task WebhookSignedForThePublicUrlIsAccepted(string vectorUrl, string _)
    {
        // Sign as Twilio would for the public host in the vector; the app is told that host is its public base URL.
        var uri = new Uri(vectorUrl);
        _app.Settings["Twilio:PublicBaseUrl"] = vectorUrl[..vectorUrl.IndexOf('/', uri.Scheme.Length + 3)];
        var path = "/twilio/voice/incoming?foo=1&bar=2";
        var form = Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid());

        var response = await _app.PostTwilioAsync(path, form, signedUrl: _app.Settings["Twilio:PublicBaseUrl"] + path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await CountContactsAsync());
    }

    [Fact]
    public async Task WithAPublicBaseUrlASignatureOverTheInternalUrlIsRefused()
    {
        _app.Settings["Twilio:PublicBaseUrl"] = "https://help.example.org";
        var response = await _app.PostTwilioAsync("/twilio/voice/incoming", Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid()));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await CountContactsAsync());
    }

    [Fact]
    public async Task UnsignedRequestIsRefusedAndStoresNothing()
    {
        var response = await _app.CreateClient().PostAsync("/twilio/voice/incoming", new FormUrlEncodedContent(Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid())));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await CountContactsAsync());
    }

    [Fact]
    public async Task RequestSignedWithAnotherTokenIsRefused()
    {
        var response = await _app.PostTwilioAsync("/twilio/voice/incoming", Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid()), token: "someone-elses-token");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await CountContactsAsync());
    }

    [Fact]
    public async Task RequestTamperedAfterSigningIsRefused()
    {
        var form = Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid());
        var signature = TwilioSigning.Sign(HelplineApp.AuthToken, "http://localhost/twilio/voice/incoming", form);
        var tampered = form.With(("From", "+13105550199"));
        var request = new HttpRequestMessage(HttpMethod.Post, "/twilio/voice/incoming") { Content = new FormUrlEncodedContent(tampered) };
        request.Headers.Add("X-Twilio-Signature", signature);

        var response = await _app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await CountContactsAsync());
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "CallSid=%%%&&&==From")]
    [InlineData("application/json", "{\"CallSid\": ")]
    [InlineData("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"CallSid\"\r\n\r\nCA1")]
    [InlineData("text/plain", "\u0000\u0001\u0002")]
    public async Task MalformedUnsignedBodyIsRefusedAndStoresNothing(string contentType, string body)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        var response = await _app.CreateClient().PostAsync("/twilio/voice/incoming", content);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await CountContactsAsync());
    }

    [Theory]
    [InlineData("/twilio/voice/incoming")]
    [InlineData("/twilio/voice/menu?attempt=1")]
    [InlineData("/twilio/voice/after-hours")]
    [InlineData("/twilio/voice/voicemail")]
    [InlineData("/twilio/voice/wait")]
    [InlineData("/twilio/voice/queue-result")]
    [InlineData("/twilio/voice/status")]
    [InlineData("/twilio/voice/wait-key")]
    [InlineData("/twilio/voice/bridge/caller?contact=1")]
    [InlineData("/twilio/voice/bridge/advisor?contact=1")]
    [InlineData("/twilio/voice/bridge/advisor-status?contact=1")]
    [InlineData("/twilio/voice/bridge/requeue?contact=1")]
    [InlineData("/twilio/voice/bridge/transfer?contact=1")]
    [InlineData("/twilio/voice/bridge/transfer-status?contact=1")]
    [InlineData("/twilio/sms/incoming")]
    [InlineData("/twilio/no-such-route")]
    public async Task EveryTwilioRouteRefusesAForgedSignature(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid())) };
        request.Headers.Add("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJlIGF0IGFsbA==");

        var response = await _app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, await CountContactsAsync());
    }

    [Fact]
    public async Task SignatureOverTheForwardedPublicUrlIsAcceptedFromATrustedProxy()
    {
        _app.Settings["ReverseProxy:KnownNetworks:0"] = "0.0.0.0/0";
        var path = "/twilio/voice/incoming";
        var form = Infrastructure.Calls.Inbound(Infrastructure.Calls.NewCallSid());
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "help.example.org");
        request.Headers.Add("X-Forwarded-For", "203.0.113.9");
        request.Headers.Add("X-Twilio-Signature", TwilioSigning.Sign(HelplineApp.AuthToken, "https://help.example.org" + path, form));

        var response = await _app.CreateClient().SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private Task<int> CountContactsAsync() => _app.WithDbAsync(db => db.Contacts.CountAsync());
}
