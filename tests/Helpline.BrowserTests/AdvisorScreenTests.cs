using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Helpline.Accounts;
using Helpline.Telephony.Simulator;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Helpline.BrowserTests;

/// <summary>
/// The advisor's journey to what their screen shows: the caller's wishes before anyone speaks, the
/// call's stage, the crisis path, drafts kept on the server, errors by their field, and a missed call
/// that does not leave the line unanswered.
/// </summary>
public sealed class AdvisorScreenTests(BrowserApp app) : IClassFixture<BrowserApp>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Generously = new() { Timeout = 15_000 };
    private static readonly LocatorAssertionsToHaveTextOptions GenerouslyText = new() { Timeout = 15_000 };
    private static readonly LocatorAssertionsToContainTextOptions GenerouslyContains = new() { Timeout = 15_000 };

    private TwilioSimulator Simulator => app.Services.GetRequiredService<TwilioSimulator>();

    [Fact]
    public async Task ACallerWhoAskedForDiscretionIsShownSoBeforeTheAdvisorSpeaksToThem()
    {
        app.RequireBrowser();
        var number = UniqueNumber("646555");
        // Earlier, the person asked on the form for a call another day, with discretion and no voicemail.
        var form = await app.NewPageAsync();
        await form.Page.GotoAsync("/get-help");
        await form.Page.GetByLabel("Phone number").FillAsync(number);
        await form.Page.GetByLabel("Me", new() { Exact = true }).CheckAsync();
        await form.Page.GetByLabel("Substance (optional)").SelectOptionAsync("Fentanyl");
        await form.Page.GetByLabel("On a day and time I choose").CheckAsync();
        await form.Page.GetByLabel("Day", new() { Exact = true }).FillAsync(DateTime.UtcNow.AddDays(3).ToString("yyyy-MM-dd"));
        await form.Page.GetByLabel("From", new() { Exact = true }).FillAsync("10:00");
        await form.Page.GetByLabel("Until", new() { Exact = true }).FillAsync("12:00");
        await form.Page.GetByLabel("Yes, you may call me at this number").CheckAsync();
        await form.Page.GetByLabel("You may text me").CheckAsync();
        await form.Page.GetByLabel("Please use a neutral caller name").CheckAsync();
        await form.Page.GetByLabel("Another number we may try (optional)").FillAsync("(917) 555-0142");
        await form.Page.GetByRole(AriaRole.Button, new() { Name = "Ask for a call" }).ClickAsync();
        await Expect(form.Page.GetByRole(AriaRole.Heading, new() { Name = "Thank you. We got your request." })).ToBeVisibleAsync(Generously);

        // Then they call the hotline, and an advisor takes the call.
        var (advisor, dial) = await AvailableAdvisorAsync("gia");
        var caller = await Simulator.CallInAsync(number);
        await Simulator.PressAsync(caller.Sid, "1");
        await TakeRowAsync(advisor, number);
        await RingingAsync(c => c.To == dial && c.Awaiting == "answer");

        // Still ringing the advisor's phone: the screen already says what keeps this caller safe.
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Connecting: answer your phone", GenerouslyText);
        var wishes = advisor.Page.Locator("#wishes");
        await Expect(wishes.Locator("#discretion")).ToBeVisibleAsync(Generously);
        await Expect(wishes.Locator("#discretion")).ToContainTextAsync("neutral caller name and a neutral voicemail");
        await Expect(wishes.Locator("[data-wish=discretion]")).ToHaveTextAsync("Asked: neutral caller name and voicemail");
        await Expect(wishes.Locator("[data-wish=voicemail]")).ToHaveTextAsync("No voicemail");
        await Expect(wishes.Locator("[data-wish=safe-to-call]")).ToContainTextAsync("No");
        await Expect(wishes.Locator("[data-wish=texts]")).ToHaveTextAsync("May text");
        await Expect(wishes.Locator("[data-wish=other-number]")).ToHaveTextAsync("+19175550142");
        await Expect(wishes.Locator("[data-wish=substance]")).ToHaveTextAsync("Fentanyl");
        // At the top of the contact: before the caller's other details.
        var wishesTop = await wishes.EvaluateAsync<double>("e => e.getBoundingClientRect().top");
        var detailsTop = await advisor.Page.Locator("#current-details").EvaluateAsync<double>("e => e.getBoundingClientRect().top");
        Assert.True(wishesTop < detailsTop);
        await AssertAccessibleAsync(advisor.Page);

        await Simulator.PersonHangsUpAsync(caller.Sid);
        advisor.AssertNoErrors();
        form.AssertNoErrors();
        await advisor.Context.CloseAsync();
        await form.Context.CloseAsync();
    }

    [Fact]
    public async Task AfterACrisisTransferTheWrapUpStartsFromTheCrisisDispositionAndTheButtonIsDisabled()
    {
        app.RequireBrowser();
        var number = UniqueNumber("213555");
        var (advisor, dial) = await AvailableAdvisorAsync("hal");
        var caller = await OnACallWithAsync(advisor, dial, number);
        var crisis = advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Crisis: warm transfer to the crisis line" });
        await Expect(crisis).ToBeEnabledAsync();

        await crisis.ClickAsync();

        await Expect(crisis).ToBeDisabledAsync(new() { Timeout = 15_000 });
        await Expect(advisor.Page.Locator("#crisis-status")).ToHaveTextAsync("The crisis line was called into this call.", GenerouslyText);
        await Simulator.PersonHangsUpAsync(caller.Sid);
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Wrap-up", GenerouslyText);
        await Expect(advisor.Page.GetByLabel("Disposition")).ToHaveValueAsync("CrisisEscalated988");
        await Expect(crisis).ToBeDisabledAsync();
        // After a reload too: the server remembers the transfer.
        await advisor.Page.ReloadAsync();
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Wrap-up", GenerouslyText);
        await Expect(advisor.Page.GetByLabel("Disposition")).ToHaveValueAsync("CrisisEscalated988", new() { Timeout = 15_000 });
        await Expect(advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Crisis: warm transfer to the crisis line" })).ToBeDisabledAsync();
        advisor.AssertNoErrors();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task ACrisisTransferMadeWhileTheContactsDetailsAreOnTheirWayStaysShown()
    {
        app.RequireBrowser();
        var number = UniqueNumber("213556");
        var (advisor, dial) = await AvailableAdvisorAsync("hank");
        // The details are read by the server at once, but reach the page only after the transfer: a slow network.
        var transferred = new TaskCompletionSource();
        await advisor.Page.RouteAsync(new System.Text.RegularExpressions.Regex(@"/api/contacts/\d+$"), async route =>
        {
            if (route.Request.Method != "GET")
            {
                await route.ContinueAsync();
                return;
            }
            var response = await route.FetchAsync();
            await transferred.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await route.FulfillAsync(new() { Response = response });
        });
        var caller = await OnACallWithAsync(advisor, dial, number);
        var crisis = advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Crisis: warm transfer to the crisis line" });

        await crisis.ClickAsync();
        await Expect(crisis).ToBeDisabledAsync(new() { Timeout = 15_000 });
        transferred.SetResult();

        await Expect(advisor.Page.Locator("#current-details dt").First).ToBeVisibleAsync(Generously);
        await Expect(crisis).ToBeDisabledAsync();
        await Expect(advisor.Page.Locator("#crisis-status")).ToHaveTextAsync("The crisis line was called into this call.");
        await Expect(advisor.Page.GetByLabel("Disposition")).ToHaveValueAsync("CrisisEscalated988");
        await Simulator.PersonHangsUpAsync(caller.Sid);
        advisor.AssertNoErrors();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task NotesWrittenDuringTheCallAreKeptOnTheServerEncryptedAndComeBackAfterAReload()
    {
        app.RequireBrowser();
        var number = UniqueNumber("312555");
        var (advisor, dial) = await AvailableAdvisorAsync("ida");
        var caller = await Simulator.CallInAsync(number);
        await Simulator.PressAsync(caller.Sid, "2");
        var contactId = await TakeRowAsync(advisor, number);
        var phone = await RingingAsync(c => c.To == dial && c.Awaiting == "answer");
        await Simulator.AnswerAsync(phone.Sid);
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("On a call", GenerouslyText);

        // While they talk: the notes and the disposition are open; Complete waits for the call to end.
        var notes = advisor.Page.GetByLabel("Notes");
        await Expect(notes).ToBeEditableAsync();
        await Expect(advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Complete" })).ToBeDisabledAsync();
        const string said = "Son uses pills bought online; mother wants detox options";
        await advisor.Page.GetByLabel("Disposition").SelectOptionAsync("ReferredToTreatment");
        await notes.FillAsync(said);
        await Expect(advisor.Page.Locator("#draft-status")).ToContainTextAsync("Draft saved", GenerouslyContains);

        // Kept on the server, encrypted like the notes; nothing in the browser's storage.
        await DraftSavedAsync(contactId, said);
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Helpline.Data.HelplineDb>();
            var stored = await db.Database.SqlQueryRaw<string>("""SELECT "WrapUpDraft" AS "Value" FROM "Contacts" WHERE "Id" = {0}""", contactId).SingleAsync();
            Assert.StartsWith("hx1.", stored);
            Assert.DoesNotContain("detox", stored);
        }
        var storage = await advisor.Page.EvaluateAsync<string>("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])");
        Assert.DoesNotContain("detox", storage);

        await advisor.Page.ReloadAsync();
        await Expect(advisor.Page.GetByLabel("Notes")).ToHaveValueAsync(said, new() { Timeout = 15_000 });
        await Expect(advisor.Page.GetByLabel("Disposition")).ToHaveValueAsync("ReferredToTreatment");

        await Simulator.PersonHangsUpAsync(caller.Sid);
        await Expect(advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Complete" })).ToBeEnabledAsync(new() { Timeout = 15_000 });
        await advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();
        await Expect(advisor.Page.Locator("#current")).ToBeHiddenAsync(new() { Timeout = 15_000 });
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Helpline.Data.HelplineDb>();
            var contact = await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == contactId);
            Assert.Null(contact.WrapUpDraft);
            Assert.Contains(said, contact.Notes);
        }
        advisor.AssertNoErrors();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task APastFollowUpDateIsShownByItsFieldAndFocusGoesThere()
    {
        app.RequireBrowser();
        var number = UniqueNumber("415555");
        var (advisor, dial) = await AvailableAdvisorAsync("jo");
        var caller = await OnACallWithAsync(advisor, dial, number);
        await Simulator.PersonHangsUpAsync(caller.Sid);
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Wrap-up", GenerouslyText);

        await advisor.Page.GetByLabel("Schedule a follow-up call").CheckAsync();
        await advisor.Page.GetByLabel("Day (caller's date)").FillAsync(DateTime.UtcNow.AddDays(-3).ToString("yyyy-MM-dd"));
        await advisor.Page.GetByLabel("The caller agreed to be called back").CheckAsync();
        await advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();

        var day = advisor.Page.GetByLabel("Day (caller's date)");
        await Expect(day).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(day).ToHaveAccessibleDescriptionAsync(new Regex("between today and 60 days"));
        await Expect(day).ToBeFocusedAsync();
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Wrap-up");
        advisor.AssertNoErrors();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task ReferralResultsDoNotCarryOverToTheNextContact()
    {
        app.RequireBrowser();
        await ImportDenverAsync();
        var (advisor, dial) = await AvailableAdvisorAsync("kai");
        var first = UniqueNumber("720555");
        var caller = await Simulator.CallInAsync(first);
        await Simulator.PressAsync(caller.Sid, "1");
        await TakeRowAsync(advisor, first);
        var phone = await RingingAsync(c => c.To == dial && c.Awaiting == "answer");
        await Simulator.AnswerAsync(phone.Sid);
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("On a call", GenerouslyText);
        await advisor.Page.GetByLabel("ZIP code, \"City, ST\", state or name").FillAsync("Denver, CO");
        await advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Find facilities" }).ClickAsync();
        await Expect(advisor.Page.Locator("#refer-results")).ToContainTextAsync("Mile High Recovery Center", GenerouslyContains);
        await Simulator.PersonHangsUpAsync(caller.Sid);
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Wrap-up", GenerouslyText);
        await advisor.Page.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();
        await Expect(advisor.Page.Locator("#current")).ToBeHiddenAsync(new() { Timeout = 15_000 });

        var second = UniqueNumber("720555");
        var next = await Simulator.CallInAsync(second);
        await Simulator.PressAsync(next.Sid, "1");
        await TakeRowAsync(advisor, second);
        await Expect(advisor.Page.Locator("#current-details")).ToContainTextAsync(second, GenerouslyContains);
        await Expect(advisor.Page.Locator("#refer-results li")).ToHaveCountAsync(0);
        await Expect(advisor.Page.GetByLabel("ZIP code, \"City, ST\", state or name")).ToHaveValueAsync("");
        await Simulator.PersonHangsUpAsync(next.Sid);
        advisor.AssertNoErrors();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task RightAfterChoosingAvailableTheNShortcutTakesTheNextCaller()
    {
        app.RequireBrowser();
        await app.EmptyTheQueueAsync();
        var (advisor, dial) = await AdvisorAsync("lou");
        // On break, so the line is staffed and the caller waits in the queue.
        await advisor.Page.GetByLabel("On break").CheckAsync();
        await Expect(advisor.Page.Locator("#my-presence")).ToHaveTextAsync("On break", GenerouslyText);
        var number = UniqueNumber("305555");
        var caller = await Simulator.CallInAsync(number);
        await Simulator.PressAsync(caller.Sid, "1");
        await Expect(advisor.Page.Locator("#queue-rows tr", new() { HasText = number[^4..] })).ToBeVisibleAsync(Generously);

        // As the README's walkthrough does: choose Available with the keyboard, then press n at once.
        await advisor.Page.GetByRole(AriaRole.Radio, new() { Name = "Available" }).FocusAsync();
        await advisor.Page.Keyboard.PressAsync("Space");
        await Expect(advisor.Page.Locator("#my-presence")).ToHaveTextAsync("Available", GenerouslyText);
        await Expect(advisor.Page.GetByRole(AriaRole.Radio, new() { Name = "Available" })).ToBeFocusedAsync();
        await advisor.Page.Keyboard.PressAsync("n");

        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Connecting: answer your phone", GenerouslyText);
        await Expect(advisor.Page.Locator("#current-details")).ToContainTextAsync(number, GenerouslyContains);
        await RingingAsync(c => c.To == dial && c.Awaiting == "answer");
        await Simulator.PersonHangsUpAsync(caller.Sid);
        advisor.AssertNoErrors();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task AMissedCallOffersGoAvailableAndTheTakenMessageGoes()
    {
        app.RequireBrowser();
        var (advisor, dial) = await AvailableAdvisorAsync("max");
        // Opted in: a tone and the tab's title.
        await advisor.Page.GetByLabel("Alert me with a sound and the tab's title").CheckAsync();
        var number = UniqueNumber("617555");
        var caller = await Simulator.CallInAsync(number);
        await Simulator.PressAsync(caller.Sid, "1");
        await Expect(advisor.Page).ToHaveTitleAsync(new Regex(@"^\(\d+\) waiting · Dashboard"), new() { Timeout = 15_000 });
        await TakeRowAsync(advisor, number);
        await Expect(advisor.Page.Locator("#message")).ToHaveTextAsync("Taken. Your phone will ring: answer it to be connected.", GenerouslyText);

        var phone = await RingingAsync(c => c.To == dial && c.Awaiting == "answer");
        await Simulator.DeclineAsync(phone.Sid, "no-answer");

        var banner = advisor.Page.Locator("#missed");
        await Expect(banner).ToBeVisibleAsync(Generously);
        await Expect(banner).ToContainTextAsync("You missed a call, so you are on break.");
        await Expect(advisor.Page.Locator("#message")).ToHaveTextAsync("");
        await Expect(advisor.Page).ToHaveTitleAsync(new Regex("^On break: you missed a call"), new() { Timeout = 15_000 });
        await AssertAccessibleAsync(advisor.Page);

        await banner.GetByRole(AriaRole.Button, new() { Name = "Go available" }).ClickAsync();
        await Expect(advisor.Page.Locator("#my-presence")).ToHaveTextAsync("Available", GenerouslyText);
        await Expect(banner).ToBeHiddenAsync();
        await Simulator.PersonHangsUpAsync(caller.Sid);
        advisor.AssertNoErrors();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task WhileTheCallbackCallersPhoneRingsThePageSaysSoAndTheTakenMessageGoesWhenTheyAnswer()
    {
        app.RequireBrowser();
        // Callbacks are made only between 8:00 and 21:00 where the caller is: ask from a time zone where it is daytime now.
        var zone = Helpline.Infrastructure.HumanFormats.UsZones.Select(z => z.Id)
            .FirstOrDefault(id => TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, TimeZoneInfo.FindSystemTimeZoneById(id)).Hour is >= 9 and < 20);
        Assert.SkipWhen(zone is null, "No US time zone is inside calling hours (8:00-21:00) right now.");
        var number = UniqueNumber("646555");
        var form = await app.NewPageAsync();
        await form.Page.GotoAsync("/get-help");
        await form.Page.GetByLabel("Phone number").FillAsync(number);
        await form.Page.GetByLabel("Me", new() { Exact = true }).CheckAsync();
        await form.Page.GetByLabel("Your time zone").SelectOptionAsync(zone!);
        await form.Page.GetByLabel("Yes, you may call me at this number").CheckAsync();
        await form.Page.GetByRole(AriaRole.Button, new() { Name = "Ask for a call" }).ClickAsync();
        await Expect(form.Page.GetByRole(AriaRole.Heading, new() { Name = "Thank you. We got your request." })).ToBeVisibleAsync(Generously);

        var (advisor, dial) = await AvailableAdvisorAsync("nia");
        await CallbackQueuedAsync(advisor, number);
        await TakeRowAsync(advisor, number);
        // The caller's hours and times read as the caller would say them, on the caller's clock, not raw or in the browser's zone.
        var zoneName = Helpline.Infrastructure.HumanFormats.ZoneName(zone!, "en");
        var details = advisor.Page.Locator("#current-details");
        await Expect(details.Locator("dt:text-is('Callback window') + dd")).ToHaveTextAsync(
            new System.Text.RegularExpressions.Regex($@"^\d{{1,2}}(:\d\d)? [AP]M–\d{{1,2}}(:\d\d)? [AP]M {zoneName}, due .+ {zoneName}$"), GenerouslyText);
        await Expect(details.Locator("dt:text-is('May we call back') + dd")).ToContainTextAsync($"{zoneName})", new() { Timeout = 15_000 });
        var advisorPhone = await RingingAsync(c => c.To == dial && c.Awaiting == "answer");
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Connecting: answer your phone", GenerouslyText);
        await Simulator.AnswerAsync(advisorPhone.Sid);

        var callerPhone = await RingingAsync(c => c.To == number && c.Awaiting == "answer");
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("Ringing the caller", GenerouslyText);
        await Simulator.AnswerAsync(callerPhone.Sid);
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("On a call", GenerouslyText);
        await Expect(advisor.Page.Locator("#message")).ToHaveTextAsync("");
        await Simulator.PersonHangsUpAsync(callerPhone.Sid);
        advisor.AssertNoErrors();
        form.AssertNoErrors();
        await advisor.Context.CloseAsync();
        await form.Context.CloseAsync();
    }

    [Fact]
    public async Task TheStaffMenuFitsOnOneLineWithoutThePublicCallLink()
    {
        app.RequireBrowser();
        var email = $"menu-{Guid.NewGuid():N}@test.example";
        await app.CreateStaffAsync(email, Roles.Admin);
        var admin = await app.NewPageAsync();
        await admin.SignInAsync(email);

        var menu = admin.Page.GetByRole(AriaRole.Navigation, new() { Name = "Staff" });
        await Expect(menu.GetByRole(AriaRole.Link, new() { Name = "Sign out" })).ToBeVisibleAsync();
        await Expect(admin.Page.Locator("header a[href^='tel:']")).ToHaveCountAsync(0);
        var tops = await menu.Locator("a").EvaluateAllAsync<double[]>("links => links.map(a => Math.round(a.getBoundingClientRect().top))");
        Assert.True(tops.Length >= 10, $"{tops.Length} links");
        Assert.Single(tops.Distinct());
        var overflow = await menu.EvaluateAsync<int>("m => m.scrollWidth - m.clientWidth");
        Assert.True(overflow <= 0, $"The menu is {overflow}px wider than its place on a 1280px screen.");
        admin.AssertNoErrors();
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task TheWallboardIsAWallDisplayWithLargeFiguresAndNoSiteMenus()
    {
        app.RequireBrowser();
        var email = $"wall-{Guid.NewGuid():N}@test.example";
        await app.CreateStaffAsync(email, Roles.Supervisor);
        var board = await app.NewPageAsync(new ViewportSize { Width = 1920, Height = 1080 });
        await board.SignInAsync(email);
        await board.Page.GotoAsync("/wallboard");
        await Expect(board.Page.Locator("#connection")).ToHaveTextAsync("Live", GenerouslyText);

        await Expect(board.Page.GetByRole(AriaRole.Navigation)).ToHaveCountAsync(0);
        await Expect(board.Page.Locator("header")).ToHaveCountAsync(0);
        var figure = await board.Page.Locator("#waiting-now").EvaluateAsync<double>("e => parseFloat(getComputedStyle(e).fontSize)");
        Assert.True(figure >= 64, $"The waiting figure is {figure}px high.");
        await Expect(board.Page.Locator("#short-abandoned-today + .label")).ToHaveTextAsync(new Regex(@"^short abandons: hung up within \d+ s of joining \(not in the service level\)$"));
        await AssertAccessibleAsync(board.Page);
        board.AssertNoErrors();
        await board.Context.CloseAsync();
    }

    /// <summary>The form's callback is in the queue, on the advisor's screen; if not, the callback as the server has it.</summary>
    private async Task CallbackQueuedAsync(WatchedPage advisor, string number)
    {
        try
        {
            // "As soon as possible" may fall due at the start of the next minute; then the job runs.
            await Expect(advisor.Page.Locator("#queue-rows tr", new() { HasText = number[^4..] })).ToBeVisibleAsync(new() { Timeout = 120_000 });
        }
        catch (PlaywrightException)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Helpline.Data.HelplineDb>();
            var callback = await db.Callbacks.AsNoTracking().Include(c => c.Contact).OrderByDescending(c => c.Id).FirstAsync();
            Assert.Fail($"The callback never reached the queue: {callback.Status}, due {callback.DueAt:o} in {callback.TimeZone} " +
                $"{callback.WindowStartLocal}-{callback.WindowEndLocal}, last outcome {callback.LastOutcome}, contact {callback.Contact!.Status}; now {DateTime.UtcNow:o}");
        }
    }

    /// <summary>Waits (generously) until the server holds a draft with these notes.</summary>
    private async Task DraftSavedAsync(long contactId, string notes)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<Helpline.Data.HelplineDb>();
            var draft = await db.Contacts.AsNoTracking().Where(c => c.Id == contactId).Select(c => c.WrapUpDraft).SingleAsync();
            if (draft?.Contains(notes) == true)
                return;
            Assert.True(DateTime.UtcNow < deadline, $"The server's draft is still: {draft ?? "none"}");
            await Task.Delay(100);
        }
    }

    private static async Task AssertAccessibleAsync(IPage page)
    {
        var results = await page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
    }

    // Numbers of the fictional 555-0100 to 555-0199 range, a different one for each use in this run.
    private static int _lastNumber = Random.Shared.Next(100, 140);

    private static string UniqueNumber(string prefix) => $"+1{prefix[..3]}5550{Interlocked.Increment(ref _lastNumber) % 100 + 100:000}";

    /// <summary>An advisor with a phone of their own (so the test answers the right one), signed in, the page live.</summary>
    private async Task<(WatchedPage Page, string Dial)> AdvisorAsync(string name)
    {
        var email = $"{name}-{Guid.NewGuid().ToString("N")[..6]}@test.example";
        var id = await app.CreateStaffAsync(email, Roles.Advisor);
        var dial = UniqueNumber("312556");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
            var user = await users.FindByIdAsync(id);
            user!.DialNumber = dial;
            await users.UpdateAsync(user);
        }
        var page = await app.NewPageAsync();
        await page.SignInAsync(email);
        await Expect(page.Page.Locator("#connection")).ToHaveTextAsync("Live", GenerouslyText);
        return (page, dial);
    }

    private async Task<(WatchedPage Page, string Dial)> AvailableAdvisorAsync(string name)
    {
        var (page, dial) = await AdvisorAsync(name);
        await page.Page.GetByLabel("Available").CheckAsync();
        await Expect(page.Page.Locator("#my-presence")).ToHaveTextAsync("Available", GenerouslyText);
        return (page, dial);
    }

    /// <summary>A caller at this number presses 1, the advisor takes their row and answers their own phone: on a call.</summary>
    private async Task<SimulatedCall> OnACallWithAsync(WatchedPage advisor, string dial, string number)
    {
        var caller = await Simulator.CallInAsync(number);
        await Simulator.PressAsync(caller.Sid, "1");
        await TakeRowAsync(advisor, number);
        var phone = await RingingAsync(c => c.To == dial && c.Awaiting == "answer");
        await Simulator.AnswerAsync(phone.Sid);
        await Expect(advisor.Page.Locator("#current-status")).ToHaveTextAsync("On a call", GenerouslyText);
        return caller;
    }

    /// <summary>Takes the waiting row of this number with its Take button; returns the contact's id.</summary>
    private static async Task<long> TakeRowAsync(WatchedPage advisor, string number)
    {
        var row = advisor.Page.Locator("#queue-rows tr", new() { HasText = number[^4..] });
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var id = long.Parse(await row.GetAttributeAsync("data-contact") ?? "0");
        await row.GetByRole(AriaRole.Button, new() { Name = "Take" }).ClickAsync();
        await Expect(advisor.Page.Locator("#current")).ToBeVisibleAsync(Generously);
        return id;
    }

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

    /// <summary>The first simulated call that matches, waiting generously for the app to place it.</summary>
    private async Task<SimulatedCall> RingingAsync(Func<SimulatedCall, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (Simulator.Calls.FirstOrDefault(match) is { } call)
                return call;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("No such call within 30 s. The simulator holds: " +
                    string.Join("; ", Simulator.Calls.Select(c => $"{c.Sid} {c.Direction} to {c.To} awaiting {c.Awaiting ?? "nothing"}{(c.Ended ? " ended" : "")}")));
            await Task.Delay(50);
        }
    }
}
