using System.Security.Claims;
using Helpline.Queue;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Helpline.Callbacks;

/// <summary>Callbacks for staff as JSON: the list (missed ones for supervisors), rescheduling and cancelling; every change audited.</summary>
public static class CallbackApi
{
    public static IEndpointRouteBuilder MapCallbackApi(this IEndpointRouteBuilder app)
    {
        var callbacks = app.MapGroup("/api/callbacks").RequireAuthorization();
        callbacks.MapGet("/", List);
        callbacks.MapPost("/{id:long}/reschedule", Reschedule);
        callbacks.MapPost("/{id:long}/cancel", Cancel);
        return app;
    }

    public sealed record RescheduleRequest(DateOnly Date, TimeOnly WindowStart, TimeOnly WindowEnd);

    internal static async Task<Ok<List<CallbackRow>>> List(CallbackDesk desk, CallbackStatus? status, ClaimsPrincipal user, Data.HelplineDb db, Audit.ListViews views)
    {
        var rows = await desk.ListAsync(status);
        await views.AuditAsync(db, user, "callbacks.viewed", status?.ToString().ToLowerInvariant() ?? "upcoming", [.. rows.Select(r => r.ContactId)]);
        return TypedResults.Ok(rows);
    }

    internal static async Task<Results<Ok<CallbackRow>, ProblemHttpResult>> Reschedule(long id, RescheduleRequest request, ClaimsPrincipal user, CallbackDesk desk)
    {
        var change = await desk.RescheduleAsync(id, request.Date, request.WindowStart, request.WindowEnd, user);
        if (!change.Done)
            return QueueApi.Problem(change.StatusCode, change.Problem!);
        return TypedResults.Ok((await desk.ListAsync(id: id)).Single());
    }

    internal static async Task<Results<Ok, ProblemHttpResult>> Cancel(long id, ClaimsPrincipal user, CallbackDesk desk)
    {
        var change = await desk.CancelAsync(id, user);
        return change.Done ? TypedResults.Ok() : QueueApi.Problem(change.StatusCode, change.Problem!);
    }
}
