using System.Net;
using System.Security.Cryptography;
using System.Xml.Linq;
using System.Xml.XPath;

namespace Helpline.Tests.Infrastructure;

/// <summary>Twilio's voice parameters for a simulated caller, and TwiML read back by XPath.</summary>
public static class Calls
{
    public const string CallerNumber = "+12125550147";
    public const string CallerName = "Zorblax Quennet";

    public static string NewCallSid() => "CA" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>The parameters Twilio sends with an inbound call.</summary>
    public static Dictionary<string, string> Inbound(string callSid, string from = CallerNumber, string? callerName = CallerName) => new()
    {
        ["CallSid"] = callSid,
        ["AccountSid"] = "AC" + new string('0', 32),
        ["From"] = from,
        ["To"] = "+18005550100",
        ["CallStatus"] = "ringing",
        ["ApiVersion"] = "2010-04-01",
        ["Direction"] = "inbound",
        ["CallerName"] = callerName ?? "",
        ["FromCity"] = "NEW YORK",
        ["FromState"] = "NY",
        ["FromZip"] = "10001",
        ["FromCountry"] = "US",
        ["ToState"] = "NY",
        ["ToCountry"] = "US",
        ["Caller"] = from,
        ["Called"] = "+18005550100",
    };

    public static Dictionary<string, string> With(this Dictionary<string, string> form, params (string Key, string Value)[] extra)
    {
        var copy = new Dictionary<string, string>(form);
        foreach (var (key, value) in extra)
            copy[key] = value;
        return copy;
    }

    public static async Task<XDocument> TwimlAsync(this HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected TwiML, got {(int)response.StatusCode}: {body}");
        Assert.Contains("xml", response.Content.Headers.ContentType?.MediaType);
        return XDocument.Parse(body);
    }

    public static XElement One(this XDocument twiml, string xpath) =>
        twiml.XPathSelectElement(xpath) ?? throw new Xunit.Sdk.XunitException($"No {xpath} in TwiML:\n{twiml}");

    public static bool Has(this XDocument twiml, string xpath) => twiml.XPathSelectElement(xpath) is not null;

    public static string Spoken(this XDocument twiml) => string.Join(" ", twiml.Descendants("Say").Select(s => s.Value));
}
