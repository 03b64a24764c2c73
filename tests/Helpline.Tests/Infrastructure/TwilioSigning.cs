using System.Security.Cryptography;
using System.Text;

namespace Helpline.Tests.Infrastructure;

/// <summary>
/// Signs a request as Twilio does: the full URL, then each POST parameter's name and value sorted
/// by name (ordinal), HMAC-SHA1 with the auth token, Base64. Checked against Twilio's vectors.
/// </summary>
public static class TwilioSigning
{
    public static string Sign(string authToken, string url, IReadOnlyDictionary<string, string> parameters)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            data.Append(name).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }
}
