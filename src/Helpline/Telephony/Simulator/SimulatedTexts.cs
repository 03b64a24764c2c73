using System.Collections.Concurrent;
using System.IO.Compression;
using System.Xml;
using System.Xml.Linq;
using Helpline.Infrastructure;
using Microsoft.Extensions.Options;

namespace Helpline.Telephony.Simulator;

/// <summary>A text in the simulated Twilio: one a person sent to the hotline, or one the app sent to a person's phone.</summary>
public sealed class SimulatedMessage
{
    public required string Sid { get; init; }

    /// <summary>
    /// "inbound" (to the hotline), "outbound-api" (sent by the app through the REST API) or
    /// "outbound-reply" (sent by Twilio from the app's TwiML answer to a text), as Twilio says.
    /// </summary>
    public required string Direction { get; init; }

    public required DateTime At { get; init; }
    public required string To { get; init; }
    public required string From { get; init; }

    /// <summary>The text; emptied when the app deletes the message at Twilio.</summary>
    public string Body { get; set; } = "";

    /// <summary>Twilio's status: received, queued, sent, delivered, undelivered.</summary>
    public string Status { get; set; } = "";

    public int? ErrorCode { get; set; }

    /// <summary>The media URLs of a picture message, as Twilio gives them in the webhook.</summary>
    public IReadOnlyList<string> MediaUrls { get; init; } = [];

    /// <summary>When the app deleted it (the retention job); Twilio then keeps neither body nor media.</summary>
    public DateTime? DeletedAt { get; set; }
}

/// <summary>
/// The texting half of the simulated Twilio: people's phones text the hotline (Twilio's signed
/// inbound-message webhook, with pictures as media URLs), the app's texts reach their phones with
/// Twilio's signed status reports (queued, sent, then delivered or undelivered), the &lt;Message&gt; of the
/// app's TwiML answer goes back to the sender (reported on to its action URL), and Twilio's own
/// opt-out rules apply: after STOP from a number, a text to it is refused with error 21610 until it
/// texts START.
/// </summary>
internal sealed class SimulatedTexts(SimulatorState state, TwimlInterpreter twiml, IOptions<HelplineOptions> helpline, TimeProvider clock)
{
    /// <summary>Twilio's default opt-out and opt-in keywords (a whole message, any case).</summary>
    private static readonly HashSet<string> OptOutWords = new(StringComparer.OrdinalIgnoreCase) { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT" };
    private static readonly HashSet<string> OptInWords = new(StringComparer.OrdinalIgnoreCase) { "START", "UNSTOP", "YES" };

    private readonly ConcurrentDictionary<string, SimulatedMessage> _messages = new();
    private readonly ConcurrentDictionary<string, Dictionary<string, string>> _webhooks = new();
    private readonly ConcurrentDictionary<string, bool> _optedOut = new();
    private readonly ConcurrentDictionary<string, bool> _unreachable = new();

    public IReadOnlyList<SimulatedMessage> Messages => [.. _messages.Values.OrderBy(m => m.At).ThenBy(m => m.Sid, StringComparer.Ordinal)];

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    /// <summary>
    /// The person texts the hotline: Twilio's inbound-message webhook, signed, with <paramref name="pictures"/>
    /// picture attachments (an MMS). A whole-message STOP also opts the number out at Twilio.
    /// </summary>
    public async Task<SimulatedMessage> TextInAsync(string from, string body, int pictures, string path)
    {
        var sid = SimulatorState.NewSid(pictures > 0 ? "MM" : "SM");
        var mediaUrls = Enumerable.Range(0, pictures).Select(_ => $"https://api.twilio.com/2010-04-01/Accounts/{TwilioSimulator.AccountSid}/Messages/{sid}/Media/{SimulatorState.NewSid("ME")}").ToList();
        var message = new SimulatedMessage { Sid = sid, Direction = "inbound", At = Now, From = from, To = helpline.Value.HotlineNumber, Body = body, Status = "received", MediaUrls = mediaUrls };
        _messages[sid] = message;
        var keyword = body.Trim();
        if (OptOutWords.Contains(keyword))
            _optedOut[from] = true;
        else if (OptInWords.Contains(keyword))
            _optedOut.TryRemove(from, out _);

        var parameters = new Dictionary<string, string>
        {
            ["MessageSid"] = sid,
            ["SmsMessageSid"] = sid,
            ["SmsSid"] = sid,
            ["AccountSid"] = TwilioSimulator.AccountSid,
            ["From"] = from,
            ["To"] = helpline.Value.HotlineNumber,
            ["Body"] = body,
            ["NumMedia"] = pictures.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["NumSegments"] = SmsSegmentsOf(body),
            ["SmsStatus"] = "received",
            ["ApiVersion"] = "2010-04-01",
        };
        for (var i = 0; i < mediaUrls.Count; i++)
        {
            parameters[$"MediaUrl{i}"] = mediaUrls[i];
            parameters[$"MediaContentType{i}"] = "image/png";
        }
        _webhooks[sid] = parameters;
        Reply(message, await twiml.PostTextAsync(path, parameters), path);
        return message;
    }

    /// <summary>Twilio delivers the same webhook again (it retries when an answer is slow): same SID, same parameters.</summary>
    public async Task RepeatWebhookAsync(string sid, string path)
    {
        if (!_webhooks.TryGetValue(sid, out var parameters) || !_messages.TryGetValue(sid, out var message))
            throw new SimulatorException($"No text {sid} came in.");
        Reply(message, await twiml.PostTextAsync(path, parameters), path);
    }

    /// <summary>
    /// What Twilio does with the app's answer to a text: each &lt;Message&gt; goes back to the sender
    /// (nothing to a number that texted STOP), and its reports go to the message's action URL.
    /// </summary>
    private void Reply(SimulatedMessage text, string answer, string path)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(answer);
        }
        catch (XmlException)
        {
            throw new SimulatorException($"{path} answered a text with something that is not TwiML.");
        }
        foreach (var element in document.Root?.Elements("Message") ?? [])
        {
            if (_optedOut.ContainsKey(text.From))
                continue;
            var reply = new SimulatedMessage { Sid = SimulatorState.NewSid("SM"), Direction = "outbound-reply", At = Now, From = text.To, To = text.From, Body = element.Value, Status = "queued" };
            _messages[reply.Sid] = reply;
            if (element.Attribute("action")?.Value is { Length: > 0 } action)
                state.Background($"text {reply.Sid}", () => ReportAsync(reply, new Uri(new Uri("http://app.invalid" + path), action)));
        }
    }

    /// <summary>From now on, texts to <paramref name="number"/> end as undelivered (error 30003: the phone is off or out of reach).</summary>
    public void MakeUnreachable(string number) => _unreachable[number] = true;

    /// <summary>The REST API's create-message: refused for an opted-out number, otherwise queued and reported on in the background.</summary>
    public string Send(OutboundText text)
    {
        if (_optedOut.ContainsKey(text.To))
            throw new TelephonyException("Twilio (simulated): the number has replied STOP.", errorCode: TelephonyException.OptedOut);
        var message = new SimulatedMessage { Sid = SimulatorState.NewSid("SM"), Direction = "outbound-api", At = Now, From = text.From, To = text.To, Body = text.Body, Status = "queued" };
        _messages[message.Sid] = message;
        if (text.StatusCallbackUrl is { } callback)
            state.Background($"text {message.Sid}", () => ReportAsync(message, callback));
        return message.Sid;
    }

    /// <summary>Twilio's status reports for a text it took: sent, then delivered, or undelivered for a phone out of reach.</summary>
    private async Task ReportAsync(SimulatedMessage message, Uri callback)
    {
        foreach (var status in new[] { "sent", _unreachable.ContainsKey(message.To) ? "undelivered" : "delivered" })
        {
            message.Status = status;
            if (status == "undelivered")
                message.ErrorCode = 30003;
            var parameters = new Dictionary<string, string>
            {
                ["MessageSid"] = message.Sid,
                ["SmsSid"] = message.Sid,
                ["AccountSid"] = TwilioSimulator.AccountSid,
                ["From"] = message.From,
                ["To"] = message.To,
                ["MessageStatus"] = status,
                ["SmsStatus"] = status,
                ["ApiVersion"] = "2010-04-01",
            };
            if (message.ErrorCode is { } code)
                parameters["ErrorCode"] = code.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await twiml.PostTextAsync(callback.PathAndQuery, parameters);
        }
    }

    /// <summary>A picture a person sent: a small image drawn here (no real photo exists), until the message is deleted.</summary>
    public MediaFile FetchMedia(string mediaUrl)
    {
        var message = _messages.Values.FirstOrDefault(m => m.MediaUrls.Contains(mediaUrl));
        if (message is null || message.DeletedAt is not null)
            throw new TelephonyException("Twilio (simulated) has no such media.");
        return new MediaFile(Picture.Value, "image/png");
    }

    /// <summary>Deleting a message at Twilio removes its body and media for good; one already gone counts as deleted.</summary>
    public void Delete(string messageSid)
    {
        if (_messages.TryGetValue(messageSid, out var message) && message.DeletedAt is null)
        {
            message.DeletedAt = Now;
            message.Body = "";
        }
    }

    /// <summary>What Twilio says in NumSegments: 160 characters to a part (153 when split), or 70 (67) when one needs UCS-2.</summary>
    private static string SmsSegmentsOf(string body) =>
        global::Helpline.Messages.SmsSegments.Count(body).Segments.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A 48×48 PNG: a green square with a white band, so the picture shows as something.</summary>
    private static readonly Lazy<byte[]> Picture = new(() =>
    {
        const int size = 48;
        var raw = new byte[size * (1 + size * 3)];
        for (var y = 0; y < size; y++)
        {
            var row = y * (1 + size * 3);
            for (var x = 0; x < size; x++)
            {
                var band = y is > 18 and < 30;
                raw[row + 1 + x * 3] = band ? (byte)255 : (byte)46;
                raw[row + 2 + x * 3] = band ? (byte)255 : (byte)125;
                raw[row + 3 + x * 3] = band ? (byte)255 : (byte)50;
            }
        }
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(raw);
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", [0, 0, 0, size, 0, 0, 0, size, 8, 2, 0, 0, 0]);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    });

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var typed = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typed);
        data.CopyTo(typed, 4);
        png.Write(BigEndian((uint)data.Length));
        png.Write(typed);
        png.Write(BigEndian(Crc32(typed)));
    }

    private static byte[] BigEndian(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
