using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Helpline.Accounts;
using Helpline.Telephony.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Helpline.BrowserTests;

public sealed class DashboardTests(BrowserApp app) : IClassFixture<BrowserApp>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Generously = new() { Timeout = 15_000 };

    private TwilioSimulator Simulator => app.Services.GetRequiredService<TwilioSimulator>();

    [Fact]
    public async Task TwoAdvisorsSeeACallArriveAndItLeavesTheOtherWhenOneTakesIt()
    {
        app.RequireBrowser();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await app.CreateStaffAsync($"ana-{suffix}@test.example", Roles.Advisor);
        await app.CreateStaffAsync($"ben-{suffix}@test.example", Roles.Advisor);
        var ana = await app.NewPageAsync();
        var ben = await app.NewPageAsync();
        await ana.SignInAsync($"ana-{suffix}@test.example");
        await ben.SignInAsync($"ben-{suffix}@test.example");
        foreach (var advisor in new[] { ana, ben })
        {
            await Expect(advisor.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });
            await advisor.Page.GetByLabel("Available").CheckAsync();
            await Expect(advisor.Page.Locator("#my-presence")).ToHaveTextAsync("Available", new() { Timeout = 15_000 });
        }

        var caller = await Simulator.CallInAsync("+12125550147", fromState: "NY");
        await Simulator.PressAsync(caller.Sid, "2");
        var contactRowOnAna = ana.Page.Locator("#queue-rows tr", new() { HasText = "0147" });
        var contactRowOnBen = ben.Page.Locator("#queue-rows tr", new() { HasText = "0147" });
        await Expect(contactRowOnAna).ToBeVisibleAsync(Generously);
        await Expect(contactRowOnBen).ToBeVisibleAsync(Generously);
        await Expect(contactRowOnBen).ToContainTextAsync("Someone they love");
        // The queue's rows are laid out as grids so a long queue loads fast; a screen reader still reads a table of rows and cells.
        var rowAsRead = ben.Page.GetByRole(AriaRole.Table).GetByRole(AriaRole.Row).Filter(new() { HasText = "0147" });
        await Expect(rowAsRead.GetByRole(AriaRole.Cell, new() { Name = "Someone they love" })).ToBeVisibleAsync();
        await Expect(ben.Page.GetByRole(AriaRole.Columnheader, new() { Name = "Channel" })).ToBeVisibleAsync();

        await contactRowOnAna.GetByRole(AriaRole.Button, new() { Name = "Take" }).ClickAsync();

        await Expect(contactRowOnBen).ToHaveCountAsync(0, new() { Timeout = 15_000 });
        await Expect(ana.Page.Locator("#current")).ToBeVisibleAsync(Generously);
        await Expect(ana.Page.Locator("#current-details")).ToContainTextAsync("+12125550147", new() { Timeout = 15_000 });
        await Expect(ben.Page.Locator("#in-progress")).ToContainTextAsync("0147");
        await ana.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, "dashboard.png"), FullPage = true });
        ana.AssertNoErrors();
        ben.AssertNoErrors();
        await ana.Context.CloseAsync();
        await ben.Context.CloseAsync();
    }

    [Fact]
    public async Task AdvisorTakesNextWithTheKeyboardTalksAndCompletesTheWrapUp()
    {
        app.RequireBrowser();
        // Take next takes the head of the line: start from an empty one (other tests leave callers and callbacks).
        await app.EmptyTheQueueAsync();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await app.CreateStaffAsync($"cleo-{suffix}@test.example", Roles.Advisor);
        var cleo = await app.NewPageAsync();
        await cleo.SignInAsync($"cleo-{suffix}@test.example");
        await Expect(cleo.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });
        await cleo.Page.GetByLabel("Available").CheckAsync();
        await Expect(cleo.Page.Locator("#my-presence")).ToHaveTextAsync("Available", new() { Timeout = 15_000 });
        var caller = await Simulator.CallInAsync("+13105550123");
        await Simulator.PressAsync(caller.Sid, "1");
        await Expect(cleo.Page.Locator("#queue-rows tr", new() { HasText = "0123" })).ToBeVisibleAsync(Generously);

        await cleo.Page.Locator("h1").ClickAsync();
        await cleo.Page.Keyboard.PressAsync("n");
        await Expect(cleo.Page.Locator("#current-status")).ToHaveTextAsync("Connecting: answer your phone", new() { Timeout = 15_000 });
        // "Connecting" shows as soon as the take is won; the app rings the advisor's phone just after.
        var phone = await RingingAsync(c => c.Direction == "outbound-api" && c.Awaiting == "answer");
        await Simulator.AnswerAsync(phone.Sid);
        await Expect(cleo.Page.Locator("#current-status")).ToHaveTextAsync("On a call", new() { Timeout = 15_000 });
        await Simulator.PersonHangsUpAsync(caller.Sid);
        // The wrap-up form is open through the call; "c" completes only once the page says Wrap-up.
        await Expect(cleo.Page.Locator("#current-status")).ToHaveTextAsync("Wrap-up", new() { Timeout = 15_000 });

        await cleo.Page.GetByLabel("Disposition").SelectOptionAsync("ReferredToTreatment");
        await cleo.Page.GetByLabel("Notes").FillAsync("Talked about detox options.");
        await cleo.Page.Locator("h1").ClickAsync();
        await cleo.Page.Keyboard.PressAsync("c");

        await Expect(cleo.Page.Locator("#current")).ToBeHiddenAsync(new() { Timeout = 15_000 });
        await Expect(cleo.Page.Locator("#my-presence")).ToHaveTextAsync("Available", new() { Timeout = 15_000 });
        cleo.AssertNoErrors();
        await cleo.Context.CloseAsync();
    }

    [Fact]
    public async Task AfterANetworkDropTheDashboardSaysSoThenResyncsWithTheServer()
    {
        app.RequireBrowser();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await app.CreateStaffAsync($"dee-{suffix}@test.example", Roles.Advisor);
        var dee = await app.NewPageAsync();
        // The hub's WebSocket passes through the test, so it can cut it as a network drop would.
        IWebSocketRoute? socket = null;
        await dee.Page.RouteWebSocketAsync(new Regex("/hubs/queue"), route =>
        {
            socket = route;
            route.ConnectToServer();
        });
        await dee.SignInAsync($"dee-{suffix}@test.example");
        await Expect(dee.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });
        await dee.Page.GetByLabel("Available").CheckAsync();
        await Expect(dee.Page.Locator("#my-presence")).ToHaveTextAsync("Available", new() { Timeout = 15_000 });

        await dee.Context.SetOfflineAsync(true);
        await socket!.CloseAsync(new() { Code = 4000, Reason = "network drop" });
        await Expect(dee.Page.Locator("#connection")).ToHaveTextAsync(new Regex("Reconnecting|Offline"), new() { Timeout = 15_000 });
        // While the dashboard is cut off, a caller arrives.
        var caller = await Simulator.CallInAsync("+16175550199");
        await Simulator.PressAsync(caller.Sid, "1");
        await dee.Context.SetOfflineAsync(false);

        await Expect(dee.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 45_000 });
        await Expect(dee.Page.Locator("#queue-rows tr", new() { HasText = "0199" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        // The page shows what the server has: the same waiting contacts, in the same order.
        var server = await dee.Page.EvaluateAsync<JsonElement>("fetch('/api/queue').then(r => r.json())");
        var waiting = server.GetProperty("contacts").EnumerateArray().Where(c => c.GetProperty("status").GetString() == "Waiting").Select(c => c.GetProperty("maskedNumber").GetString()!).ToList();
        var shown = await dee.Page.Locator("#queue-rows tr td:nth-child(8)").AllTextContentsAsync();
        Assert.Equal(waiting, shown);
        // Errors from the dropped connection were provoked on purpose; nothing else may fail.
        dee.AssertNoErrors("WebSocket", "ERR_INTERNET_DISCONNECTED", "Failed to fetch", "Connection disconnected", "negotiation", "Failed to start", "ERR_NETWORK", "network drop");
        await dee.Context.CloseAsync();
    }

    [Fact]
    public async Task WallboardFollowsCallsComingAndGoing()
    {
        app.RequireBrowser();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await app.CreateStaffAsync($"sup-{suffix}@test.example", Roles.Supervisor);
        var advisorId = await app.CreateStaffAsync($"eve-{suffix}@test.example", Roles.Advisor);
        var eve = await app.NewPageAsync();
        await eve.SignInAsync($"eve-{suffix}@test.example");
        // As an advisor would: once the page is live (a snapshot arriving later repaints the choices).
        await Expect(eve.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });
        await eve.Page.GetByLabel("Available").CheckAsync();
        await Expect(eve.Page.Locator("#my-presence")).ToHaveTextAsync("Available", new() { Timeout = 15_000 });
        var board = await app.NewPageAsync();
        await board.SignInAsync($"sup-{suffix}@test.example");
        await board.Page.GotoAsync("/wallboard");
        await Expect(board.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });
        var waitingBefore = int.Parse(await board.Page.Locator("#waiting-now").TextContentAsync() ?? "0");
        var abandonedBefore = await FigureAsync(board.Page, "#abandoned-today");

        var caller = await Simulator.CallInAsync("+14155550111");
        await Simulator.PressAsync(caller.Sid, "1");
        await Expect(board.Page.Locator("#waiting-now")).ToHaveTextAsync((waitingBefore + 1).ToString(), new() { Timeout = 15_000 });
        await Simulator.PersonHangsUpAsync(caller.Sid);

        await Expect(board.Page.Locator("#waiting-now")).ToHaveTextAsync(waitingBefore.ToString(), new() { Timeout = 15_000 });
        await Expect(board.Page.Locator("#abandoned-today")).ToHaveTextAsync((abandonedBefore + 1).ToString(), new() { Timeout = 15_000 });
        await board.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, "wallboard.png"), FullPage = true });
        board.AssertNoErrors();
        eve.AssertNoErrors();
        await board.Context.CloseAsync();
        await eve.Context.CloseAsync();
    }

    [Fact]
    public async Task AnAdvisorDisabledWhileTheirDashboardIsOpenIsToldTheyAreSignedOut()
    {
        app.RequireBrowser();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        await app.CreateStaffAsync($"fay-{suffix}@test.example", Roles.Advisor);
        await app.CreateStaffAsync($"admin-{suffix}@test.example", Roles.Admin);
        var fay = await app.NewPageAsync();
        await fay.SignInAsync($"fay-{suffix}@test.example");
        await Expect(fay.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });

        var admin = await app.NewPageAsync();
        await admin.SignInAsync($"admin-{suffix}@test.example");
        await admin.Page.GotoAsync("/admin/staff");
        await admin.Page.GetByRole(AriaRole.Button, new() { Name = $"Disable fay-{suffix}@test.example" }).ClickAsync();
        await Expect(admin.Page.GetByText($"fay-{suffix}@test.example is disabled")).ToBeVisibleAsync(Generously);

        // The hub closes her connection; the reconnect is refused; the page says so instead of reconnecting for ever.
        await Expect(fay.Page.Locator("#connection")).ToContainTextAsync("You are signed out", new() { Timeout = 30_000 });
        await Expect(fay.Page.Locator("#connection a")).ToHaveAttributeAsync("href", "/sign-in?ReturnUrl=%2Fstaff");
        fay.AssertNoErrors("401", "negotiation", "Failed to start", "Connection disconnected", "WebSocket");
        admin.AssertNoErrors();
        await fay.Context.CloseAsync();
        await admin.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/", false)]
    [InlineData("/get-help", false)]
    [InlineData("/get-help?lang=es", false)]
    [InlineData("/who-answers", false)]
    [InlineData("/sign-in", false)]
    [InlineData("/staff", true)]
    [InlineData("/wallboard", true)]
    [InlineData("/simulator", true)]
    [InlineData("/callbacks", true)]
    [InlineData("/callbacks?show=missed", true)]
    [InlineData("/reports", true)]
    [InlineData("/risk-words", true)]
    [InlineData("/treatment", false)]
    [InlineData("/treatment/co", false)]
    [InlineData("/treatment/co/denver", false)]
    [InlineData("/treatment/search?q=80203", false)]
    [InlineData("/admin/directory", true)]
    [InlineData("/admin/staff", true)]
    [InlineData("/account/two-factor", true)]
    public async Task PagesHaveNoSeriousOrCriticalAccessibilityViolations(string path, bool staff)
    {
        app.RequireBrowser();
        if (path.StartsWith("/treatment") || path.StartsWith("/admin"))
            await ImportDenverAsync();
        var watched = await app.NewPageAsync();
        if (staff)
        {
            var email = $"axe-{Guid.NewGuid():N}@test.example";
            await app.CreateStaffAsync(email, path.StartsWith("/admin") ? Roles.Admin : Roles.Supervisor);
            await watched.SignInAsync(email);
        }
        await watched.Page.GotoAsync(path);
        if (path is "/staff" or "/wallboard")
            await Expect(watched.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });

        var results = await watched.Page.RunAxe(BrowserApp.AxeRules);

        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        watched.AssertNoErrors();
        await watched.Context.CloseAsync();
    }

    /// <summary>Two Denver facilities in the directory; importing them again adds nothing.</summary>
    private async Task ImportDenverAsync()
    {
        const string csv = """
            name1,name2,street1,street2,city,state,zip,zip4,county,latitude,longitude
            Mile High Recovery Center,,1000 Broadway,,Denver,CO,80203,,Denver,39.7323,-104.9875
            Front Range Residential,,4500 East 9th Avenue,,Denver,CO,80220,,Denver,39.7309,-104.9350
            """;
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Helpline.Treatment.FacilityImporter>()
            .ImportAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv)), "denver.csv");
    }

    [Fact]
    public async Task ThePublicFormWorksWithTheKeyboardAloneOnAPhone()
    {
        app.RequireBrowser();
        var phone = await app.NewPageAsync(new ViewportSize { Width = 390, Height = 844 });
        await phone.Page.GotoAsync("/get-help");

        await phone.Page.GetByLabel("Phone number").FocusAsync();
        await phone.Page.Keyboard.TypeAsync("(646) 555-0111");
        await phone.Page.GetByLabel("Someone I love").CheckAsync();
        await phone.Page.GetByLabel("Yes, you may call me at this number").FocusAsync();
        await phone.Page.Keyboard.PressAsync("Space");
        await phone.Page.GetByRole(AriaRole.Button, new() { Name = "Ask for a call" }).FocusAsync();
        await phone.Page.Keyboard.PressAsync("Enter");

        await Expect(phone.Page.GetByRole(AriaRole.Heading, new() { Name = "Thank you. We got your request." })).ToBeVisibleAsync(Generously);
        var overflow = await phone.Page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
        Assert.True(overflow <= 0);
        phone.AssertNoErrors();
        await phone.Context.CloseAsync();
    }

    [Fact]
    public async Task AnAdvisorReschedulesACallbackFromTheCallbacksPageWithTheKeyboard()
    {
        app.RequireBrowser();
        var last = Random.Shared.Next(100, 200).ToString("0000");
        var caller = await app.NewPageAsync();
        await caller.Page.GotoAsync("/get-help");
        await caller.Page.GetByLabel("Phone number").FillAsync($"(646) 555-{last}");
        await caller.Page.GetByLabel("Me", new() { Exact = true }).CheckAsync();
        await caller.Page.GetByLabel("Yes, you may call me at this number").CheckAsync();
        await caller.Page.GetByRole(AriaRole.Button, new() { Name = "Ask for a call" }).ClickAsync();
        await Expect(caller.Page.GetByRole(AriaRole.Heading, new() { Name = "Thank you. We got your request." })).ToBeVisibleAsync(Generously);

        var email = $"cb-{Guid.NewGuid():N}@test.example";
        await app.CreateStaffAsync(email, Roles.Advisor);
        var advisor = await app.NewPageAsync();
        await advisor.SignInAsync(email);
        await advisor.Page.GotoAsync("/callbacks");
        var row = advisor.Page.Locator("tr", new() { HasText = $"•••• {last}" });
        await row.GetByText("Reschedule").FocusAsync();
        await advisor.Page.Keyboard.PressAsync("Enter");
        var day = DateTime.UtcNow.AddDays(2).ToString("yyyy-MM-dd");
        await row.GetByLabel("Day (caller's date)").FillAsync(day);
        await row.GetByLabel("From").FillAsync("10:00");
        await row.GetByLabel("Until").FillAsync("12:00");
        await row.GetByLabel("Until").PressAsync("Enter");

        await Expect(advisor.Page.GetByRole(AriaRole.Status)).ToContainTextAsync($"•••• {last} rescheduled", new() { Timeout = 15_000 });
        await Expect(advisor.Page.Locator("tr", new() { HasText = $"•••• {last}" })).ToContainTextAsync("10:00–12:00");
        advisor.AssertNoErrors();
        caller.AssertNoErrors();
        await advisor.Context.CloseAsync();
        await caller.Context.CloseAsync();
    }

    [Fact]
    public async Task ThePublicFormTiesEachErrorToItsField()
    {
        app.RequireBrowser();
        var page = await app.NewPageAsync();
        await page.Page.GotoAsync("/get-help");

        await page.Page.GetByRole(AriaRole.Button, new() { Name = "Ask for a call" }).ClickAsync();

        var phone = page.Page.GetByLabel("Phone number");
        await Expect(phone).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(phone).ToHaveAccessibleDescriptionAsync(new Regex("valid phone number"));
        await page.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, "get-help-errors.png"), FullPage = true });
        page.AssertNoErrors();
        await page.Context.CloseAsync();
    }

    [Theory]
    [InlineData("/staff")]
    [InlineData("/wallboard")]
    [InlineData("/callbacks")]
    [InlineData("/reports")]
    [InlineData("/risk-words")]
    [InlineData("/admin/staff")]
    [InlineData("/account/two-factor")]
    public async Task StaffPagesFitAPhoneScreen(string path)
    {
        app.RequireBrowser();
        var email = $"phone-{Guid.NewGuid():N}@test.example";
        await app.CreateStaffAsync(email, path.StartsWith("/admin") ? Roles.Admin : Roles.Supervisor);
        var phone = await app.NewPageAsync(new ViewportSize { Width = 390, Height = 844 });
        await phone.SignInAsync(email);
        await phone.Page.GotoAsync(path);
        if (path is "/staff" or "/wallboard")
            await Expect(phone.Page.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });

        var overflow = await phone.Page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");

        var widest = overflow <= 0 ? "" : await phone.Page.EvaluateAsync<string>(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)" +
            ".filter(e => { for (let p = e.parentElement; p; p = p.parentElement) { const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return false; } return true; })" +
            ".slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')");
        Assert.True(overflow <= 0, $"{path} is {overflow}px wider than a phone screen: {widest}");
        await phone.Page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, $"phone{path.Replace('/', '-')}.png"), FullPage = true });
        phone.AssertNoErrors();
        await phone.Context.CloseAsync();
    }

    private static async Task<int> FigureAsync(IPage page, string selector)
    {
        var locator = page.Locator(selector);
        await Expect(locator).Not.ToHaveTextAsync("…", new() { Timeout = 15_000 });
        return int.Parse(await locator.TextContentAsync() ?? "0");
    }

    /// <summary>The first simulated call that <paramref name="match"/>es, waiting generously for the app to place it.</summary>
    private async Task<SimulatedCall> RingingAsync(Func<SimulatedCall, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (Simulator.Calls.FirstOrDefault(match) is { } call)
                return call;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("No such call within 30 s. The simulator holds: " +
                    string.Join("; ", Simulator.Calls.Select(c => $"{c.Sid} {c.Direction} awaiting {c.Awaiting ?? "nothing"}{(c.Ended ? " ended" : "")}")) +
                    (Simulator.Errors.Count > 0 ? " Errors: " + string.Join("; ", Simulator.Errors) : ""));
            await Task.Delay(50);
        }
    }
}
