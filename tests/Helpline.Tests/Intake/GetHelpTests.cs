using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Helpline.Callbacks;
using Helpline.Contacts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Intake;

public sealed partial class GetHelpTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static Dictionary<string, string> Valid(string phone = "(212) 555-0147") => new()
    {
        ["Name"] = "Sam",
        ["Phone"] = phone,
        ["For"] = "LovedOne",
        ["Substance"] = "Fentanyl",
        ["Place"] = "NY",
        ["When"] = "asap",
        ["TimeZone"] = "America/New_York",
        ["MayCall"] = "true",
        ["MayText"] = "true",
        ["Neutral"] = "true",
    };

    [Fact]
    public async Task RequestSavesTheCallerTheirConsentsWithEvidenceAndACallbackDueNow()
    {
        var (response, _) = await PostAsync(Valid());

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/get-help/thanks", response.Headers.Location!.OriginalString);
        var caller = await _app.WithDbAsync(db => db.Callers.AsNoTracking().SingleAsync());
        Assert.Equal("+12125550147", caller.PhoneNumber);
        Assert.Equal("Sam", caller.Name);
        var contact = await _app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync());
        Assert.Equal(ContactChannel.WebForm, contact.Channel);
        Assert.Equal(ContactStatus.AwaitingCallback, contact.Status);
        Assert.Equal(ContactFor.LovedOne, contact.For);
        Assert.Equal(Substance.Fentanyl, contact.Substance);
        Assert.Equal("NY", contact.Region);
        Assert.Equal("test-2026-11", contact.DisclosureVersion);
        var consents = await _app.WithDbAsync(db => db.Consents.AsNoTracking().ToListAsync());
        Assert.Equal(6, consents.Count);
        Assert.All(consents, c => Assert.Equal("web-form-2026-11-en", c.TextVersion));
        Assert.All(consents, c => Assert.Equal(HelplineApp.OpenTime.UtcDateTime, c.RecordedAt));
        Assert.True(consents.Single(c => c.Kind == ConsentKind.CallBack).Granted);
        Assert.False(consents.Single(c => c.Kind == ConsentKind.LeaveVoicemail).Granted);
        var callback = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        Assert.Equal(HelplineApp.OpenTime.UtcDateTime, callback.DueAt);
        Assert.Equal(CallbackStatus.Scheduled, callback.Status);
        // Texts were allowed: a confirmation went out, without the helpline's name (discretion asked).
        var text = Assert.Single(_app.Twilio.Requests, r => r.Path.EndsWith("/Messages.json"));
        Assert.Equal("+12125550147", text["To"]);
        Assert.DoesNotContain("Test Helpline", text["Body"]);
    }

    [Fact]
    public async Task NoTextIsSentWithoutPermission()
    {
        var form = Valid();
        form.Remove("MayText");

        await PostAsync(form);

        Assert.DoesNotContain(_app.Twilio.Requests, r => r.Path.EndsWith("/Messages.json"));
    }

    [Theory]
    [InlineData("Phone", "12", "Phone-error", "valid phone number")]
    [InlineData("Phone", "", "Phone-error", "valid phone number")]
    [InlineData("For", "nobody", "For-error", "who this is for")]
    [InlineData("MayCall", "", "MayCall-error", "permission to call you")]
    [InlineData("TimeZone", "Mars/Olympus_Mons", "TimeZone-error", "time zone")]
    [InlineData("Name", "A name that is far too long to be a first name or a nickname at all", "Name-error", "at most 50")]
    [InlineData("AlternatePhone", "call me maybe", "AlternatePhone-error", "valid number")]
    [InlineData("Place", "Bronx, NY", "Place-error", "choose your state from the list")]
    [InlineData("Place", "10001", "Place-error", "choose your state from the list")]
    public async Task EachBadFieldGetsItsOwnMessageAndNothingIsSaved(string field, string value, string errorId, string message)
    {
        var form = Valid();
        if (value.Length == 0)
            form.Remove(field);
        else
            form[field] = value;

        var (response, html) = await PostAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Matches($"id=\"{errorId}\" class=\"error\">[^<]*{Regex.Escape(message)}", html);
        Assert.Contains("role=\"alert\"", html);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Callers.CountAsync()));
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
        Assert.Equal(0, await _app.WithDbAsync(db => db.Consents.CountAsync()));
    }

    [Theory]
    [InlineData("", "en", "State (optional)", "Prefer not to say", "New York")]
    [InlineData("?lang=es", "es", "Estado (opcional)", "Prefiero no decirlo", "Nueva York")]
    public async Task ThePlaceIsAStateChosenFromAListInTheFormsLanguage(string query, string lang, string label, string none, string newYork)
    {
        var page = await _app.CreateBrowser().GetStringAsync("/get-help" + query);

        // A labelled native list: it works without a script and with a screen reader.
        Assert.Matches($"<label for=\"Place\">{Regex.Escape(label)}</label>\\s*<select id=\"Place\" name=\"Place\"[^>]*aria-describedby=\"Place-hint Place-error\"", page);
        Assert.Contains($"<option value=\"\">{none}</option>", page);
        Assert.Contains($"<option value=\"NY\">{newYork}</option>", page);
        Assert.Equal(Helpline.Treatment.UsStates.Names.Count, Regex.Matches(page, "<option value=\"[A-Z]{2}\"").Count);
        Assert.DoesNotContain("<input id=\"Place\"", page);

        var form = Valid();
        form["Place"] = "TX";
        form["Lang"] = lang;
        await PostAsync(form, "/get-help" + query);
        Assert.Equal("TX", (await _app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync())).Region);
    }

    [Fact]
    public async Task TheByRegionReportCountsRequestsByTheirState()
    {
        foreach (var (phone, state) in new[] { ("(212) 555-0147", "NY"), ("(212) 555-0148", "NY"), ("(512) 555-0149", "TX") })
        {
            var form = Valid(phone);
            form["Place"] = state;
            await PostAsync(form);
        }
        await _app.CreateStaffAsync("supervisor@test.example", Helpline.Accounts.Roles.Supervisor);
        var supervisor = await _app.SignInAsync("supervisor@test.example");

        var csv = await supervisor.Browser.GetStringAsync("/reports/export/regions.csv?range=today");

        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToDictionary(c => c[0], c => c[1]);
        Assert.Equal(("2", "1"), (rows["NY"], rows["TX"]));
    }

    [Fact]
    public async Task AnUnknownPlaceIsRefusedInSpanishOnTheSpanishForm()
    {
        var form = Valid();
        form["Place"] = "Calle Mayor 5";
        form["Lang"] = "es";

        var (_, html) = await PostAsync(form, "/get-help?lang=es");

        Assert.Matches("id=\"Place-error\" class=\"error\">Elija su estado de la lista.<", html);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task LeavingThePlaceOutStoresNoRegion()
    {
        var form = Valid();
        form["Place"] = "";

        var (response, _) = await PostAsync(form);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Null((await _app.WithDbAsync(db => db.Contacts.AsNoTracking().SingleAsync())).Region);
    }

    [Theory]
    [InlineData("2026-11-24", "10:00", "12:00", "Day-error")]
    [InlineData("2026-11-27", "12:00", "10:00", "Until-error")]
    [InlineData("2026-11-27", "05:00", "07:30", "From-error")]
    [InlineData("", "10:00", "12:00", "Day-error")]
    public async Task ADayAndWindowMustBeRealAndInsideTheCallersHours(string day, string from, string until, string errorId)
    {
        var form = Valid();
        form["When"] = "later";
        form["Day"] = day;
        form["From"] = from;
        form["Until"] = until;

        var (_, html) = await PostAsync(form);

        Assert.Matches($"id=\"{errorId}\" class=\"error\">[^<]+<", html);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Callbacks.CountAsync()));
    }

    [Fact]
    public async Task AChosenWindowIsInTheCallersOwnTimeZone()
    {
        var form = Valid("+1 310 555 0147");
        form["When"] = "later";
        form["Day"] = "2026-11-27";
        form["From"] = "10:00";
        form["Until"] = "12:00";
        form["TimeZone"] = "America/Los_Angeles";

        await PostAsync(form);

        var callback = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        Assert.Equal(new DateTime(2026, 11, 27, 18, 0, 0, DateTimeKind.Utc), callback.DueAt);
        Assert.Equal(new TimeOnly(10, 0), callback.WindowStartLocal);
        Assert.Equal(new TimeOnly(12, 0), callback.WindowEndLocal);
        Assert.Equal("America/Los_Angeles", callback.TimeZone);
    }

    [Fact]
    public async Task ASecondRequestForTheSameNumberUpdatesThePendingCallback()
    {
        await PostAsync(Valid("(212) 555-0147"));
        var later = Valid("+1 212-555-0147");
        later["When"] = "later";
        later["Day"] = "2026-11-27";
        later["From"] = "15:00";
        later["Until"] = "17:00";

        await PostAsync(later);

        var callback = await _app.WithDbAsync(db => db.Callbacks.AsNoTracking().SingleAsync());
        Assert.Equal(new TimeOnly(15, 0), callback.WindowStartLocal);
        Assert.Equal(new DateTime(2026, 11, 27, 20, 0, 0, DateTimeKind.Utc), callback.DueAt);
        Assert.Equal(1, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
        Assert.Equal(1, await _app.WithDbAsync(db => db.Callers.CountAsync()));
    }

    [Fact]
    public async Task TheHoneypotLooksLikeSuccessAndSavesNothing()
    {
        var form = Valid();
        form["Website"] = "http://spam.example";

        var (response, _) = await PostAsync(form);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task APostWithoutTheAntiforgeryTokenIsRefused()
    {
        var response = await _app.CreateBrowser().PostAsync("/get-help", new FormUrlEncodedContent(Valid()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task ManyRequestsForOneNumberGetAFriendlyMessage()
    {
        for (var i = 0; i < Helpline.Intake.GetHelpModel.PerNumberPerHour; i++)
        {
            // Each new request after a callback was taken off the pending list counts as a new one.
            await PostAsync(Valid());
            await _app.WithDbAsync(db => db.Callbacks.ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, CallbackStatus.Due)));
        }

        var (response, html) = await PostAsync(Valid());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("several requests", html);
        Assert.Equal(Helpline.Intake.GetHelpModel.PerNumberPerHour, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task ManyPostsFromOneAddressAreSlowedWithAFriendlyPage()
    {
        HttpResponseMessage last = null!;
        for (var i = 0; i <= Helpline.Intake.IntakeExtensions.PerAddressPerTenMinutes; i++)
            (last, _) = await PostAsync(Valid($"+1 212 555 {1000 + i}"));

        Assert.Equal(HttpStatusCode.TooManyRequests, last.StatusCode);
        Assert.Contains("Call or text <a href=\"tel:988\">988</a>", await last.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheSlowDownPageSpeaksTheFormsLanguageAndSurvivesABodyItCannotRead()
    {
        for (var i = 0; i < Helpline.Intake.IntakeExtensions.PerAddressPerTenMinutes; i++)
            await PostAsync(Valid($"+1 212 555 {1000 + i}"));

        var spanish = Valid("+1 212 555 1100");
        spanish["Lang"] = "es";
        var (refused, html) = await PostAsync(spanish);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("lang=\"es\"", html);

        // A broken body (a NUL in a field) cannot say its language: the page is in English, still a 429.
        var garbled = new StringContent("Lang=es%00&Phone=%%%ZZ", Encoding.UTF8, "application/x-www-form-urlencoded");
        var broken = await _app.CreateBrowser().PostAsync("/get-help", garbled);
        Assert.Equal(HttpStatusCode.TooManyRequests, broken.StatusCode);
        Assert.Contains("lang=\"en\"", await broken.Content.ReadAsStringAsync());
        Assert.Equal(Helpline.Intake.IntakeExtensions.PerAddressPerTenMinutes, await _app.WithDbAsync(db => db.Contacts.CountAsync()));
    }

    [Fact]
    public async Task TheFormSpeaksSpanishAndRecordsWhichTextWasAgreedTo()
    {
        var page = await _app.CreateBrowser().GetStringAsync("/get-help?lang=es");
        Assert.Contains("Pídanos que le llamemos", page);
        Assert.Contains("Sí, pueden llamarme a este número", page);

        var form = Valid();
        form["Lang"] = "es";
        await PostAsync(form, "/get-help?lang=es");

        Assert.All(await _app.WithDbAsync(db => db.Consents.ToListAsync()), c => Assert.Equal("web-form-2026-11-es", c.TextVersion));
        Assert.Equal(CallerLanguage.Spanish, (await _app.WithDbAsync(db => db.Contacts.SingleAsync())).Language);
    }

    private async Task<(HttpResponseMessage Response, string Html)> PostAsync(Dictionary<string, string> form, string path = "/get-help")
    {
        var browser = _app.CreateBrowser();
        var page = await browser.GetStringAsync(path);
        var withToken = new Dictionary<string, string>(form) { ["__RequestVerificationToken"] = Forms.Token(page) };
        var response = await browser.PostAsync(path, new FormUrlEncodedContent(withToken));
        return (response, await response.Content.ReadAsStringAsync());
    }
}
