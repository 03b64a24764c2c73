using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Helpline.Telephony.Simulator;

/// <summary>The simulator's controls: place a call, press keys, hang up, answer for an advisor; every webhook and TwiML shown.</summary>
public sealed class SimulatorModel(IServiceProvider services) : PageModel
{
    private TwilioSimulator? Simulator => services.GetService<TwilioSimulator>();

    public IReadOnlyList<SimulatedCall> Calls { get; private set; } = [];
    public IReadOnlyList<SimulatedMessage> Messages { get; private set; } = [];

    [TempData]
    public string? Problem { get; set; }

    public IActionResult OnGet()
    {
        if (Simulator is not { } sim)
            return NotFound();
        Calls = sim.Calls;
        Messages = sim.Messages;
        return Page();
    }

    public Task<IActionResult> OnPostCallAsync(string from, string? callerName, string? fromState) =>
        ActAsync(sim => sim.CallInAsync(string.IsNullOrWhiteSpace(from) ? "+12125550147" : from.Trim(), NullIfEmpty(callerName), NullIfEmpty(fromState)));

    public Task<IActionResult> OnPostPressAsync(string sid, string digits) => ActAsync(sim => sim.PressAsync(sid, digits?.Trim() ?? ""));

    public Task<IActionResult> OnPostNoInputAsync(string sid) => ActAsync(sim => sim.NoInputAsync(sid));

    public Task<IActionResult> OnPostMessageAsync(string sid, int seconds) => ActAsync(sim => sim.LeaveMessageAsync(sid, seconds));

    public Task<IActionResult> OnPostHangUpAsync(string sid) => ActAsync(sim => sim.PersonHangsUpAsync(sid));

    public Task<IActionResult> OnPostAnswerAsync(string sid) => ActAsync(sim => sim.AnswerAsync(sid));

    public Task<IActionResult> OnPostVoicemailAsync(string sid) => ActAsync(sim => sim.MachineAnswersAsync(sid));

    public Task<IActionResult> OnPostDeclineAsync(string sid, string outcome) => ActAsync(sim => sim.DeclineAsync(sid, outcome));

    public Task<IActionResult> OnPostWaitAsync(string sid) => ActAsync(sim => sim.HearWaitAgainAsync(sid));

    public Task<IActionResult> OnPostTextAsync(string from, string body, bool picture) =>
        ActAsync(sim => sim.TextInAsync(string.IsNullOrWhiteSpace(from) ? "+12125550147" : from.Trim(), body ?? "", picture ? 1 : 0));

    private async Task<IActionResult> ActAsync(Func<TwilioSimulator, Task> action)
    {
        if (Simulator is not { } sim)
            return NotFound();
        try
        {
            await action(sim);
            // REST requests the app made in response play out in the background; give them a moment to show.
            await sim.IdleAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is SimulatorException or TimeoutException)
        {
            Problem = e.Message;
        }
        return RedirectToPage();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
