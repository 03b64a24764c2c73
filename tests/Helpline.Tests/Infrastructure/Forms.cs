using System.Text.RegularExpressions;

namespace Helpline.Tests.Infrastructure;

/// <summary>What a browser does with the app's forms: read the antiforgery token a page carries, sign in.</summary>
public static partial class Forms
{
    /// <summary>The antiforgery token in a page's forms (empty when it has none).</summary>
    public static string Token(string html) => AntiforgeryField().Match(html).Groups[1].Value;

    /// <summary>Loads a page and returns the antiforgery token its forms carry.</summary>
    public static async Task<string> TokenAsync(this HttpClient browser, string path) => Token(await browser.GetStringAsync(path));

    /// <summary>Posts the sign-in form as a browser would (the page first, for its token).</summary>
    public static async Task<HttpResponseMessage> PostSignInAsync(this HttpClient browser, string email, string password) =>
        await browser.PostAsync("/sign-in", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Email"] = email,
            ["Password"] = password,
            ["__RequestVerificationToken"] = await browser.TokenAsync("/sign-in"),
        }));

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
