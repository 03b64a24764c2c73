using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Helpline.BrowserTests;

/// <summary>The public pages as a caller meets them: in their language, with numbers and times they can read, on a phone, zoomed in.</summary>
public sealed class CallerPagesTests(BrowserApp app) : IClassFixture<BrowserApp>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Generously = new() { Timeout = 15_000 };

    private static AxeRunOptions Wcag22 => BrowserApp.AxeRules;

    /// <summary>The public pages, each with the phone and 200 % zoom checks.</summary>
    public static TheoryData<string> PublicPages =>
    [
        "/", "/get-help", "/get-help?lang=es", "/get-help/thanks?lang=es&when=later", "/who-answers", "/who-answers?lang=es",
        "/treatment", "/treatment/co", "/treatment/co/boulder", "/treatment/search?q=80302", "/sign-in", "/chat", "/chat?lang=es",
    ];

    [Theory]
    [InlineData("/get-help?lang=es")]
    [InlineData("/get-help/thanks?lang=es&when=soon")]
    [InlineData("/who-answers?lang=es")]
    public async Task SpanishPagesSayTheCrisisBannerTheMenuAndTheSkipLinkInSpanish(string path)
    {
        app.RequireBrowser();
        var watched = await app.NewPageAsync();
        var page = watched.Page;
        await page.GotoAsync(path);

        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "es");
        var banner = page.GetByRole(AriaRole.Region, new() { Name = "Ayuda en una crisis" });
        await Expect(banner).ToContainTextAsync("Si alguien tuvo una sobredosis o está en peligro, llame al 911.");
        await Expect(banner).ToContainTextAsync("Si está en crisis, llame o envíe un mensaje de texto al 988");
        await Expect(banner).ToContainTextAsync("oprima 2 para español");
        Assert.Equal("es", await banner.EvaluateAsync<string>("e => e.closest('[lang]').lang"));
        await Expect(banner.GetByRole(AriaRole.Link, new() { Name = "911" })).ToHaveAttributeAsync("href", "tel:911");
        await Expect(banner.GetByRole(AriaRole.Link, new() { Name = "988" })).ToHaveAttributeAsync("href", "tel:988");

        var menu = page.GetByRole(AriaRole.Navigation, new() { Name = "Principal" });
        await Expect(menu.GetByRole(AriaRole.Link, new() { Name = "Llame al 1-800-555-0100" })).ToBeVisibleAsync();
        await Expect(menu.GetByRole(AriaRole.Link, new() { Name = "¿Quién atiende?" })).ToBeVisibleAsync();
        await Expect(menu.GetByRole(AriaRole.Link, new() { Name = "Buscar tratamiento" })).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator(":focus")).ToHaveTextAsync("Saltar al contenido");

        // What is left in English is marked so: none of the layout's English words outside a lang="en" element.
        var unmarked = await page.EvaluateAsync<string>("""
            () => {
              const copy = document.body.cloneNode(true);
              copy.querySelectorAll('[lang="en"], script, .honeypot').forEach(e => e.remove());
              return copy.textContent;
            }
            """);
        foreach (var english in new[] { "Skip to content", "Overdose or danger", "In crisis?", "Call or text", "Who answers", "Find treatment", "Staff sign-in", "Call 1-800", "Eastern time" })
            Assert.DoesNotContain(english, unmarked);
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }

    [Fact]
    public async Task TheHotlineReadsAsPeopleWriteItAndDialsInE164OnEveryPublicPage()
    {
        app.RequireBrowser();
        await ImportBoulderAsync();
        var watched = await app.NewPageAsync();
        var page = watched.Page;
        foreach (var path in new[] { "/", "/get-help", "/get-help?lang=es", "/get-help/thanks?when=soon", "/who-answers", "/treatment", "/treatment/co/boulder" })
        {
            await page.GotoAsync(path);
            var text = await page.Locator("body").InnerTextAsync();
            Assert.DoesNotContain("+1800", text);
            Assert.Contains("1-800-555-0100", text);
            var hotline = page.Locator("a", new() { HasText = "1-800-555-0100" });
            Assert.True(await hotline.CountAsync() > 0, $"{path} has no link to the hotline");
            foreach (var href in await hotline.EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))"))
                Assert.Equal("tel:+18005550100", href);
        }

        await page.GotoAsync("/treatment/co/boulder");
        var intake = page.GetByRole(AriaRole.Link, new() { Name = "1-303-555-0101" });
        await Expect(intake).ToBeVisibleAsync();
        await Expect(intake).ToHaveAttributeAsync("href", "tel:+13035550101");
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }

    [Theory]
    [InlineData("", "We only call between 8 AM and 9 PM Central time.")]
    [InlineData("?lang=es", "Solo llamamos entre las 8 a. m. y las 9 p. m., hora del Centro.")]
    public async Task CallingHoursAreSaidAsPeopleSayThemInTheCallersOwnTimeZone(string query, string expected)
    {
        app.RequireBrowser();
        // The caller's browser is in Chicago; the form takes its zone from there and names it.
        var context = await app.Browser.NewContextAsync(new() { BaseURL = app.BaseUri.ToString(), TimezoneId = "America/Chicago" });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/get-help" + query);
        await page.Locator("#Phone").FillAsync("(646) 555-0123");
        await page.Locator("#For").CheckAsync();
        await page.Locator("input[name=When][value=later]").CheckAsync();
        await page.Locator("#Day").FillAsync(DateTime.UtcNow.AddDays(3).ToString("yyyy-MM-dd"));
        await page.Locator("#From").FillAsync("05:00");
        await page.Locator("#Until").FillAsync("07:00");
        await page.Locator("#MayCall").CheckAsync();
        await page.Locator("button[type=submit]").ClickAsync();

        await Expect(page.Locator("#From-error")).ToHaveTextAsync(expected, new() { Timeout = 15_000 });
        await Expect(page.Locator("#form-problem")).ToContainTextAsync(expected);
        Assert.DoesNotContain("21:00", await page.Locator("main").InnerTextAsync());

        // Corrected, the request goes through and the confirmation repeats the window on the caller's clock.
        await page.Locator("#From").FillAsync("10:00");
        await page.Locator("#Until").FillAsync("12:30");
        await page.Locator("#MayCall").CheckAsync();
        await page.Locator("button[type=submit]").ClickAsync();
        await Expect(page.Locator("#chosen-window")).ToContainTextAsync(
            query.Length == 0 ? "10 AM–12:30 PM Central time." : "10 a. m.–12:30 p. m., hora del Centro.", new() { Timeout = 15_000 });
        await context.CloseAsync();
    }

    [Theory]
    [InlineData("/get-help")]
    [InlineData("/get-help?lang=es")]
    public async Task EveryCheckboxAndRadioWithItsLabelIsATargetOfAtLeast24Pixels(string path)
    {
        app.RequireBrowser();
        var watched = await app.NewPageAsync(new ViewportSize { Width = 390, Height = 844 });
        var page = watched.Page;
        await page.GotoAsync(path);

        var controls = page.Locator("main input[type=checkbox], main input[type=radio]");
        var count = await controls.CountAsync();
        Assert.True(count >= 9, $"expected the form's 4 radios and 5 checkboxes, found {count}");
        for (var i = 0; i < count; i++)
        {
            var control = controls.Nth(i);
            var name = await control.GetAttributeAsync("name") + "=" + await control.GetAttributeAsync("value");
            var box = await control.BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException($"{name} is not shown");
            var label = await control.EvaluateAsync<double[]>("e => { const r = e.closest('label').getBoundingClientRect(); return [r.width, r.height]; }");
            Assert.True(box.Width >= 24 && box.Height >= 24, $"{name} is {box.Width}×{box.Height} px");
            Assert.True(label[0] >= 24 && label[1] >= 24, $"the label of {name} is {label[0]}×{label[1]} px");
        }

        // The label is part of the target: a tap on its words ticks the box.
        var mayText = page.Locator("input[name=MayText]");
        await page.Locator("label", new() { Has = mayText }).ClickAsync(new() { Position = new Position { X = 60, Y = 10 } });
        await Expect(mayText).ToBeCheckedAsync();

        var results = await page.RunAxe(Wcag22);
        Assert.Contains(results.Passes, r => r.Id == "target-size");
        Assert.DoesNotContain(results.Violations, r => r.Id == "target-size");
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }

    [Theory]
    [InlineData("", "Please correct the fields marked below.")]
    [InlineData("?lang=es", "Corrija los campos indicados abajo.")]
    public async Task AfterARefusedSubmitFocusIsOnTheListOfWhatToFix(string query, string problem)
    {
        app.RequireBrowser();
        var watched = await app.NewPageAsync();
        var page = watched.Page;
        await page.GotoAsync("/get-help" + query);

        await page.Locator("button[type=submit]").ClickAsync();

        var summary = page.Locator("#form-problem");
        await Expect(summary).ToBeFocusedAsync(new() { Timeout = 15_000 });
        await Expect(summary).ToContainTextAsync(problem);
        // Each problem links to its field.
        await summary.Locator("a[href='#Phone']").ClickAsync();
        await Expect(page.Locator("#Phone")).ToBeFocusedAsync();
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }

    [Fact]
    public async Task TheTreatmentSearchButtonLinesUpWithItsBox()
    {
        app.RequireBrowser();
        await ImportBoulderAsync();
        var watched = await app.NewPageAsync();
        await watched.Page.GotoAsync("/treatment");

        var box = await watched.Page.Locator("#treatment-q").BoundingBoxAsync();
        var button = await watched.Page.GetByRole(AriaRole.Button, new() { Name = "Search" }).BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.NotNull(button);
        Assert.True(Math.Abs(box.Y - button.Y) <= 1 && Math.Abs(box.Y + box.Height - (button.Y + button.Height)) <= 1,
            $"box from {box.Y} to {box.Y + box.Height}, button from {button.Y} to {button.Y + button.Height}");
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }

    [Theory]
    [MemberData(nameof(PublicPages))]
    public async Task PublicPagesFitAPhoneAndTwoHundredPercentZoom(string path)
    {
        app.RequireBrowser();
        await ImportBoulderAsync();
        // 390 px: a phone. 640 × 450 at twice the pixel density: a 1280 × 900 window zoomed to 200 %.
        foreach (var (width, height, scale, name) in new[] { (390, 844, 1f, "phone"), (640, 450, 2f, "zoom200") })
        {
            var context = await app.Browser.NewContextAsync(new() { BaseURL = app.BaseUri.ToString(), ViewportSize = new() { Width = width, Height = height }, DeviceScaleFactor = scale });
            var page = await context.NewPageAsync();
            await page.GotoAsync(path);

            var overflow = await page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
            var cut = await page.EvaluateAsync<string>(
                "[...document.querySelectorAll('body *')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > document.documentElement.clientWidth + 1 || r.left < -1); })" +
                ".filter(e => !e.closest('.skip, .honeypot, .visually-hidden'))" +
                ".slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')");
            Assert.True(overflow <= 0 && cut.Length == 0, $"{path} at {name}: {overflow}px too wide; past the edge: {cut}");
            if (path is "/get-help?lang=es" or "/treatment" or "/")
                await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, $"{name}{(path == "/" ? "-home" : path.Split('?')[0].Replace('/', '-'))}{(path.Contains("lang=es") ? "-es" : "")}.png"), FullPage = true });
            await context.CloseAsync();
        }
    }

    [Theory]
    [MemberData(nameof(PublicPages))]
    public async Task PublicPagesPassAxeWithWcag22AtPhoneWidth(string path)
    {
        app.RequireBrowser();
        await ImportBoulderAsync();
        var watched = await app.NewPageAsync(new ViewportSize { Width = 390, Height = 844 });
        await watched.Page.GotoAsync(path);

        var results = await watched.Page.RunAxe(Wcag22);

        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }

    /// <summary>Two Boulder facilities with intake numbers as SAMHSA writes them; importing them again adds nothing.</summary>
    private async Task ImportBoulderAsync()
    {
        const string csv = """
            name1,name2,street1,street2,city,state,zip,county,phone,intake1,website,latitude,longitude,type_facility,sa
            Flatirons Recovery,,1200 Pearl Street,,Boulder,CO,80302,Boulder,303-555-0100,303-555-0101,,40.0176,-105.2797,SA,1
            Foothills Outpatient Program,,2500 Arapahoe Avenue,,Boulder,CO,80302,Boulder,303-555-0200,,,40.0150,-105.2600,SA,1
            """;
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Helpline.Treatment.FacilityImporter>()
            .ImportAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)), "boulder.csv");
    }
}

/// <summary>A directory nobody has imported yet, on an app of its own.</summary>
public sealed class TreatmentBeforeImportTests(BrowserApp app) : IClassFixture<BrowserApp>
{
    [Fact]
    public async Task BeforeAnyImportTheTreatmentPageSaysWhyItIsEmptyAndWhereToTurn()
    {
        app.RequireBrowser();
        var watched = await app.NewPageAsync(new ViewportSize { Width = 390, Height = 844 });
        var page = watched.Page;
        await page.GotoAsync("/treatment");

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "States" })).ToHaveCountAsync(0);
        var why = page.Locator("#no-listings");
        await Expect(why).ToBeVisibleAsync();
        await Expect(why).ToContainTextAsync("not loaded the list of treatment facilities yet");
        await Expect(why.GetByRole(AriaRole.Link, new() { Name = "ask us to call you back" })).ToHaveAttributeAsync("href", "/get-help");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Call 1-800-555-0100" }).First).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, "phone-treatment-before-import.png"), FullPage = true });
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }
}
