using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Helpline.Accounts;
using Helpline.Telephony.Simulator;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Helpline.BrowserTests;

/// <summary>A person and an advisor chatting, each in their own browser, as they would.</summary>
public sealed class ChatTests(BrowserApp app) : IClassFixture<BrowserApp>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Generously = new() { Timeout = 15_000 };
    private static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 15_000 };

    [Fact]
    public async Task APersonAndAnAdvisorChatAReloadResumesItAndTheQuickExitLeavesNothingBehind()
    {
        app.RequireBrowser();
        await app.EmptyTheQueueAsync();
        await app.CreateStaffAsync("chat-browser@test.example", Roles.Advisor);

        // The person, on a phone: who answers and the crisis numbers come before the chat.
        var person = await app.NewPageAsync(new ViewportSize { Width = 390, Height = 844 });
        var them = person.Page;
        await them.GotoAsync("/get-help");
        await them.GetByRole(AriaRole.Link, new() { Name = "Would rather write? Chat now" }).ClickAsync();
        await Expect(them.Locator(".disclosure")).ToContainTextAsync("This line is answered by trained advisors");
        await Expect(them.GetByRole(AriaRole.Region, new() { Name = "Crisis help" })).ToContainTextAsync("911");
        await them.GetByLabel("First name or nickname (optional)").FillAsync("Sam");
        await them.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(them.Locator("#chat-status")).ToContainTextAsync("You are in line", Soon);
        await Expect(them.Locator("#chat-status")).ToContainTextAsync("Your place in line: 1.");
        await them.GetByLabel("Message").FillAsync("Is anyone there? It's about my son.");
        await them.GetByLabel("Message").PressAsync("Enter");
        await Expect(them.Locator("#transcript li.person")).ToContainTextAsync("Is anyone there?", Soon);

        // The advisor takes it from the dashboard's queue and lands on the conversation.
        var advisor = await app.NewPageAsync();
        var me = advisor.Page;
        await advisor.SignInAsync("chat-browser@test.example");
        await Expect(me.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });
        await me.GetByRole(AriaRole.Radio, new() { Name = "Available" }).CheckAsync();
        var row = me.Locator("#queue-rows tr", new() { HasText = "Chat" });
        await Expect(row).ToBeVisibleAsync(Generously);
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Take contact") }).ClickAsync();
        await me.WaitForURLAsync(new Regex("/staff/conversations/\\d+$"), new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
        await Expect(me.Locator("#transcript")).ToContainTextAsync("Is anyone there? It's about my son.", Soon);
        await Expect(me.Locator("#who")).ToHaveTextAsync("with Sam");
        await Expect(them.Locator("#chat-status")).ToContainTextAsync("An advisor has joined", Soon);

        await me.GetByLabel("Your reply").FillAsync("I'm here. What's happening with your son?");
        await me.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(them.Locator("#transcript li.advisor")).ToContainTextAsync("What's happening with your son?", Soon);
        await them.GetByLabel("Message").FillAsync("He uses fentanyl");
        await Expect(me.Locator("#typing")).ToHaveTextAsync("The person is typing…", new() { Timeout = 15_000 });
        await them.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(me.Locator("#transcript")).ToContainTextAsync("He uses fentanyl", Soon);
        // The person's page has shown the advisor's reply: the advisor's screen says it was read.
        await Expect(me.Locator("#transcript li.advisor .read")).ToHaveTextAsync("Read", new() { Timeout = 15_000 });

        // A reload keeps the conversation: the same transcript, still under way.
        await them.ReloadAsync();
        await Expect(them.Locator("#transcript")).ToContainTextAsync("What's happening with your son?", Soon);
        await Expect(them.Locator("#chat-status")).ToContainTextAsync("An advisor has joined", Soon);
        await them.GetByLabel("Message").FillAsync("Still here after a reload");
        await them.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(me.Locator("#transcript")).ToContainTextAsync("Still here after a reload", Soon);

        foreach (var page in new[] { them, me })
        {
            var serious = (await page.RunAxe(BrowserApp.AxeRules)).Violations.Where(v => v.Impact is "serious" or "critical").ToList();
            Assert.True(serious.Count == 0, string.Join("\n", serious.Select(v => $"{page.Url}: {v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        }
        await them.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, "chat-person-phone.png"), FullPage = true });
        await me.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, "chat-advisor.png"), FullPage = true });

        // The quick exit: away at once, and the chat is gone from the tab.
        await them.GetByRole(AriaRole.Button, new() { Name = "Quick exit" }).ClickAsync();
        await them.WaitForURLAsync("about:blank", new() { Timeout = 15_000 });
        await Expect(me.Locator("#transcript")).ToContainTextAsync("The person left the chat.", Soon);
        await them.GotoAsync("/chat");
        Assert.Null(await them.EvaluateAsync<string?>("sessionStorage.getItem('helpline-chat')"));
        await Expect(them.GetByRole(AriaRole.Button, new() { Name = "Start chat" })).ToBeVisibleAsync();

        // The advisor wraps up and is back on the dashboard, available.
        await me.GetByLabel("Disposition").SelectOptionAsync("ReferredToTreatment");
        await me.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();
        await Expect(me).ToHaveURLAsync(new Regex("/staff$"), new() { Timeout = 60_000 });
        await Expect(me.Locator("#my-presence")).ToHaveTextAsync("Available", new() { Timeout = 15_000 });
        // Asking for a call back instead, from a chat still waiting, leaves it: nobody is taken to an empty chat.
        await them.GetByRole(AriaRole.Button, new() { Name = "Start chat" }).ClickAsync();
        await Expect(them.Locator("#chat-status")).ToContainTextAsync("You are in line", Soon);
        await Expect(me.Locator("#queue-rows tr", new() { HasText = "Chat" })).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await them.GetByRole(AriaRole.Link, new() { Name = "Ask for a call back instead" }).ClickAsync();
        // The form itself, not a load event: under load the navigation can finish before a waiter for it starts.
        await Expect(them).ToHaveURLAsync(new Regex("/get-help(\\?.*)?$"), new() { Timeout = 60_000 });
        await Expect(them.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(me.Locator("#queue-rows tr", new() { HasText = "Chat" })).ToHaveCountAsync(0, new() { Timeout = 15_000 });
        person.AssertNoErrors();
        advisor.AssertNoErrors();
        await person.Context.CloseAsync();
        await advisor.Context.CloseAsync();
    }

    [Fact]
    public async Task AnAdvisorAnswersATextSeesHowManyTextsItMakesThatItWasDeliveredAndThePictureThroughTheApp()
    {
        app.RequireBrowser();
        await app.EmptyTheQueueAsync();
        await app.CreateStaffAsync("text-browser@test.example", Roles.Advisor);
        var simulator = app.Services.GetRequiredService<TwilioSimulator>();
        const string person = "+12125550188";
        await simulator.TextInAsync(person, "Hi. I found these in my daughter's room, what are they?", pictures: 1);

        var advisor = await app.NewPageAsync();
        var me = advisor.Page;
        await advisor.SignInAsync("text-browser@test.example");
        await Expect(me.Locator("#connection")).ToHaveTextAsync("Live", new() { Timeout = 15_000 });
        await me.GetByRole(AriaRole.Radio, new() { Name = "Available" }).CheckAsync();
        var row = me.Locator("#queue-rows tr", new() { HasText = "Text" });
        await Expect(row).ToBeVisibleAsync(Generously);
        await row.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Take contact") }).ClickAsync();
        await me.WaitForURLAsync(new Regex("/staff/conversations/\\d+$"), new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
        await Expect(me.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Texts with", Soon);
        await Expect(me.Locator("#who")).ToContainTextAsync("0188");
        await Expect(me.Locator("#transcript")).ToContainTextAsync("what are they?", Soon);
        // The acknowledgement the phone got at once, delivered.
        await Expect(me.Locator("#transcript li.system .read").First).ToHaveTextAsync("Delivered", new() { Timeout = 15_000 });

        // The picture comes through the app, only when asked for.
        await me.GetByRole(AriaRole.Button, new() { Name = "Show the picture they sent" }).ClickAsync();
        var picture = me.GetByRole(AriaRole.Img, new() { Name = "A picture the person texted" });
        await Expect(picture).ToBeVisibleAsync(Generously);
        await Expect(picture).ToHaveAttributeAsync("src", new Regex("^/api/conversations/\\d+/media/\\d+$"));
        Assert.Equal(48, await picture.EvaluateAsync<int>("img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"));

        // The segment count follows what is typed: GSM-7, 160 to a text; one "á" makes it Unicode, 70.
        var reply = me.GetByLabel("Your reply (sent as a text)");
        await reply.FillAsync("Thank you for telling us. Is your daughter safe right now?");
        await Expect(me.Locator("#segments")).ToHaveTextAsync("58 / 1600 characters · 1 text");
        await reply.FillAsync(new string('a', 161));
        await Expect(me.Locator("#segments")).ToHaveTextAsync("161 / 1600 characters · 2 texts");
        await reply.FillAsync("Gracias por escribir. ¿Está a salvo su hija ahora mismo? Podemos llamarla si prefiere hablar.");
        await Expect(me.Locator("#segments")).ToContainTextAsync("2 texts · \"á\" makes it Unicode");
        await reply.FillAsync("Thank you for telling us. Is your daughter safe right now?");
        await me.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(me.Locator("#transcript li.advisor")).ToContainTextAsync("Is your daughter safe right now?", Soon);
        await Expect(me.Locator("#transcript li.advisor .read")).ToHaveTextAsync("Delivered", new() { Timeout = 15_000 });
        await Expect(me.Locator("#segments")).ToHaveTextAsync("0 / 1600 characters · 0 texts");
        Assert.Contains(simulator.TextsTo(person), m => m.Body == "Thank you for telling us. Is your daughter safe right now?");

        var serious = (await me.RunAxe(BrowserApp.AxeRules)).Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, string.Join("\n", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
        await me.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.OutputDirectory, "sms-advisor.png"), FullPage = true });

        // STOP from the phone: the page says so, and the conversation waits for its wrap-up.
        await simulator.TextInAsync(person, "STOP");
        await Expect(me.Locator("#transcript")).ToContainTextAsync("The person texted STOP", Soon);
        await Expect(me.Locator("#conversation-status")).ToContainTextAsync("complete the wrap-up", Soon);
        await Expect(me.Locator("#opted-out")).ToBeVisibleAsync(Generously);
        await me.GetByRole(AriaRole.Button, new() { Name = "Complete" }).ClickAsync();
        await Expect(me).ToHaveURLAsync(new Regex("/staff$"), new() { Timeout = 60_000 });
        advisor.AssertNoErrors();
    }
}
