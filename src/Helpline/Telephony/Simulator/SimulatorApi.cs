using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpline.Telephony.Simulator;

/// <summary>
/// The people's side of the simulator as JSON, for scripts and tests: call in, press keys, hang up,
/// answer, ignore or send to voicemail a call the app placed. Staff only, and only where the simulator is on.
/// </summary>
public static class SimulatorApi
{
    public static IEndpointRouteBuilder MapSimulator(this IEndpointRouteBuilder app)
    {
        if (app.ServiceProvider.GetService<TwilioSimulator>() is null)
            return app;
        var simulator = app.MapGroup("/api/simulator").RequireAuthorization();
        simulator.MapGet("/calls", List);
        simulator.MapGet("/calls/{sid}", Show);
        simulator.MapPost("/calls", CallIn);
        simulator.MapPost("/calls/{sid}/press", Press);
        simulator.MapPost("/calls/{sid}/no-input", (string sid, TwilioSimulator sim) => Act(sim, sid, () => sim.NoInputAsync(sid)));
        simulator.MapPost("/calls/{sid}/message", Message);
        simulator.MapPost("/calls/{sid}/hang-up", (string sid, TwilioSimulator sim) => Act(sim, sid, () => sim.PersonHangsUpAsync(sid)));
        simulator.MapPost("/calls/{sid}/answer", (string sid, TwilioSimulator sim) => Act(sim, sid, () => sim.AnswerAsync(sid)));
        simulator.MapPost("/calls/{sid}/decline", Decline);
        simulator.MapPost("/calls/{sid}/voicemail", (string sid, TwilioSimulator sim) => Act(sim, sid, () => sim.MachineAnswersAsync(sid)));
        simulator.MapPost("/calls/{sid}/wait", (string sid, TwilioSimulator sim) => Act(sim, sid, () => sim.HearWaitAgainAsync(sid)));
        simulator.MapGet("/messages", (TwilioSimulator sim) => TypedResults.Ok(sim.Messages));
        simulator.MapPost("/messages", Reply);
        return app;
    }

    public sealed record CallInRequest(string From, string? CallerName, string? FromState);
    public sealed record PressRequest(string Digits);
    public sealed record MessageRequest(int Seconds);
    public sealed record DeclineRequest(string Outcome);
    public sealed record ReplyRequest(string From, string Body, int? Pictures = null);

    internal static async Task<Results<Ok, ProblemHttpResult>> Reply(ReplyRequest request, TwilioSimulator sim)
    {
        if (string.IsNullOrWhiteSpace(request.From) || request.From.Length > 32 || string.IsNullOrEmpty(request.Body) || request.Body.Length > 1600)
            return TypedResults.Problem(statusCode: 400, detail: "A text needs the sender's number and a body of at most 1,600 characters.");
        try
        {
            await sim.TextInAsync(request.From.Trim(), request.Body, request.Pictures is > 0 and <= 3 ? request.Pictures.Value : 0);
            return TypedResults.Ok();
        }
        catch (SimulatorException e)
        {
            return TypedResults.Problem(statusCode: 422, detail: e.Message);
        }
    }

    public sealed record CallView(string Sid, string Direction, string From, string To, string Status, string State, string? Conference,
        DateTime StartedAt, DateTime? EndedAt, IReadOnlyList<SimulatorLogEntry> Log);

    public static CallView View(SimulatedCall c) => new(c.Sid, c.Direction, c.From, c.To, c.Status, c.State, c.Conference, c.StartedAt, c.EndedAt, c.Log);

    internal static Ok<IEnumerable<CallView>> List(TwilioSimulator sim) => TypedResults.Ok(sim.Calls.Select(View));

    internal static Results<Ok<CallView>, NotFound> Show(string sid, TwilioSimulator sim) =>
        sim.Find(sid) is { } call ? TypedResults.Ok(View(call)) : TypedResults.NotFound();

    internal static async Task<Results<Ok<CallView>, ProblemHttpResult>> CallIn(CallInRequest request, TwilioSimulator sim)
    {
        if (string.IsNullOrWhiteSpace(request.From) || request.From.Length > 32)
            return TypedResults.Problem(statusCode: 400, detail: "From is the caller's number in E.164 form (+12125550147) or \"anonymous\".");
        try
        {
            return TypedResults.Ok(View(await sim.CallInAsync(request.From.Trim(), request.CallerName, request.FromState)));
        }
        catch (SimulatorException e)
        {
            return TypedResults.Problem(statusCode: 422, detail: e.Message);
        }
    }

    internal static Task<Results<Ok<CallView>, ProblemHttpResult>> Press(string sid, PressRequest request, TwilioSimulator sim) =>
        Act(sim, sid, () => sim.PressAsync(sid, request.Digits ?? ""));

    internal static Task<Results<Ok<CallView>, ProblemHttpResult>> Message(string sid, MessageRequest request, TwilioSimulator sim) =>
        Act(sim, sid, () => sim.LeaveMessageAsync(sid, request.Seconds));

    internal static Task<Results<Ok<CallView>, ProblemHttpResult>> Decline(string sid, DeclineRequest request, TwilioSimulator sim) =>
        Act(sim, sid, () => sim.DeclineAsync(sid, request.Outcome ?? "no-answer"));

    /// <summary>Acts for the person; what does not fit the call's state is a 422 with the reason, never a 500.</summary>
    internal static async Task<Results<Ok<CallView>, ProblemHttpResult>> Act(TwilioSimulator sim, string sid, Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (SimulatorException e)
        {
            return TypedResults.Problem(statusCode: 422, detail: e.Message);
        }
        return sim.Find(sid) is { } call ? TypedResults.Ok(View(call)) : TypedResults.Problem(statusCode: 404, detail: "No such call.");
    }
}
