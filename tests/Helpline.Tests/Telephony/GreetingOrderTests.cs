using Helpline.Telephony.Simulator;
using Helpline.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpline.Tests.Telephony;

/// <summary>
/// What a caller hears first, through the simulator as a caller would hear it: the 911/988 notice
/// before anything else, then who answers, then the menu; in English, in Spanish and after hours.
/// </summary>
public sealed class GreetingOrderTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync()
    {
        _app.Settings["Simulator:Enabled"] = "true";
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private TwilioSimulator Simulator => _app.Services.GetRequiredService<TwilioSimulator>();

    [Fact]
    public async Task CallerHearsTheCrisisNoticeBeforeWhoAnswersAndWhoAnswersBeforeTheMenu()
    {
        await _app.AdvisorOnDutyAsync();

        var caller = await Simulator.CallInAsync("+12125550147");

        var heard = Spoken(caller);
        Assert.Contains("9 1 1", heard[0]);
        Assert.Contains("9 8 8", heard[0]);
        AssertInOrder(heard, "9 1 1", "answered by trained advisors", "for yourself, press 1", "español, oprima 3");
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task SpanishCallerHearsTheCrisisNoticeWith988sSpanishOptionFirst()
    {
        await _app.AdvisorOnDutyAsync();
        var caller = await Simulator.CallInAsync("+12125550147");
        var before = Spoken(caller).Count;

        await Simulator.PressAsync(caller.Sid, "3");

        var heard = Spoken(caller).Skip(before).ToList();
        Assert.StartsWith("[es-MX]", heard[0]);
        Assert.Contains("9 1 1", heard[0]);
        Assert.Contains("oprima 2 para español", heard[0]);
        AssertInOrder(heard, "9 1 1", "la atienden consejeros capacitados", "Si llama por usted, oprima 1");
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task AfterHoursTheCrisisNoticeStillComesFirstThenWhoAnswersThenWhenWeOpen()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));

        var caller = await Simulator.CallInAsync("+12125550147");

        var heard = Spoken(caller);
        Assert.Contains("9 1 1", heard[0]);
        AssertInOrder(heard, "9 1 1", "answered by trained advisors", "not available right now", "We open again");
        Assert.Empty(Simulator.Errors);
    }

    [Fact]
    public async Task AfterHoursInSpanishTheCrisisNoticeComesFirst()
    {
        _app.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 26, 4, 30, 0, TimeSpan.Zero));
        var caller = await Simulator.CallInAsync("+12125550147");
        var before = Spoken(caller).Count;

        await Simulator.PressAsync(caller.Sid, "3");

        var heard = Spoken(caller).Skip(before).ToList();
        Assert.StartsWith("[es-MX]", heard[0]);
        Assert.Contains("9 1 1", heard[0]);
        AssertInOrder(heard, "9 1 1", "la atienden consejeros capacitados", "no están disponibles");
        Assert.Empty(Simulator.Errors);
    }

    /// <summary>Every sentence the caller has heard so far, in order, each with its language ("[en-US] …").</summary>
    private static List<string> Spoken(SimulatedCall call) => [.. call.Log.Where(e => e.Kind == "say").Select(e => e.Text)];

    private static void AssertInOrder(List<string> heard, params string[] parts)
    {
        var positions = parts.Select(p => heard.FindIndex(h => h.Contains(p, StringComparison.Ordinal))).ToList();
        Assert.True(positions.All(p => p >= 0) && positions.Zip(positions.Skip(1)).All(pair => pair.First < pair.Second),
            $"Expected to hear, in this order: {string.Join(" | ", parts)}\nHeard:\n{string.Join("\n", heard)}");
    }
}
