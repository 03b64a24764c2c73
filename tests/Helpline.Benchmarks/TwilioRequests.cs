using System.Security.Cryptography;
using System.Text;

namespace Helpline.Benchmarks;

/// <summary>
/// Twilio's voice webhooks as Twilio sends them: the parameters of an inbound call (the same set as
/// tests/Helpline.Tests/Infrastructure/Calls.cs) and the X-Twilio-Signature over the exact URL.
/// </summary>
internal static class TwilioRequests
{
    public const string AuthToken = "benchmark-auth-token-0123456789";

    /// <summary>
    /// North American area codes that the app's phone-number rules (libphonenumber) accept with the
    /// fictional exchange 555-01xx: distinct, valid caller numbers that belong to nobody.
    /// </summary>
    private static readonly int[] AreaCodes =
        [.. Enumerable.Range(201, 989 - 201 + 1).Where(npa => Helpline.Contacts.CallerNumbers.CallableE164($"+1{npa}5550100") is not null)];

    /// <summary>How many distinct caller numbers <see cref="CallerNumber"/> cycles through.</summary>
    public static int DistinctCallers => AreaCodes.Length * 100;

    public static string NewCallSid() => "CA" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The n-th caller: +1 (area code) 555-01xx, a new caller for each n up to <see cref="DistinctCallers"/>.</summary>
    public static string CallerNumber(long n)
    {
        var i = (int)(n % DistinctCallers);
        return $"+1{AreaCodes[i / 100]}55501{i % 100:D2}";
    }

    /// <summary>The parameters Twilio sends with an inbound call.</summary>
    public static Dictionary<string, string> Inbound(string callSid, string from) => new()
    {
        ["CallSid"] = callSid,
        ["AccountSid"] = "AC" + new string('0', 32),
        ["From"] = from,
        ["To"] = "+18005550100",
        ["CallStatus"] = "ringing",
        ["ApiVersion"] = "2010-04-01",
        ["Direction"] = "inbound",
        ["CallerName"] = "Zorblax Quennet",
        ["FromCity"] = "NEW YORK",
        ["FromState"] = "NY",
        ["FromZip"] = "10001",
        ["FromCountry"] = "US",
        ["ToState"] = "NY",
        ["ToCountry"] = "US",
        ["Caller"] = from,
        ["Called"] = "+18005550100",
    };

    /// <summary>The key the caller pressed in the menu, as Twilio's Gather posts it.</summary>
    public static Dictionary<string, string> MenuKey(Dictionary<string, string> inbound, string digits) =>
        new(inbound) { ["CallStatus"] = "in-progress", ["Digits"] = digits, ["FinishedOnKey"] = "", ["msg"] = "Gather End" };

    /// <summary>
    /// Twilio's signature: the full URL, then each POST parameter's name and value sorted by name
    /// (ordinal), HMAC-SHA1 with the auth token, Base64 (as tests/Helpline.Tests/Infrastructure/TwilioSigning.cs).
    /// </summary>
    public static string Sign(string authToken, string url, IReadOnlyDictionary<string, string> parameters)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            data.Append(name).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>A signed POST of <paramref name="form"/> to <paramref name="url"/>, signed over that exact URL.</summary>
    public static HttpRequestMessage SignedPost(Uri url, IReadOnlyDictionary<string, string> form)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Sign(AuthToken, url.AbsoluteUri, form));
        return request;
    }
}
