using System.Security.Claims;
using Helpline.Accounts;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Queue;

/// <summary>The shared queue's staff API: the snapshot, taking, and presence (the live hub is mapped beside it in QueueExtensions).</summary>
public static class QueueApi
{
    internal static IEndpointRouteBuilder MapQueueApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization();
        api.MapGet("/queue", GetQueue);
        api.MapPost("/queue/take-next", TakeNext);
        api.MapPost("/contacts/{id:long}/take", Take);
        api.MapPut("/presence", SetPresence);
        return app;
    }

    public sealed record PresenceRequest(Presence Presence);

    internal static async Task<Ok<QueueSnapshot>> GetQueue(QueueEvents events, CancellationToken cancellationToken) =>
        TypedResults.Ok(await events.SnapshotAsync(cancellationToken));

    internal static async Task<Results<Ok<QueueRow>, ProblemHttpResult>> TakeNext(ClaimsPrincipal user, UserManager<StaffUser> users, QueueTaking taking, QueueEvents events)
    {
        var advisor = await users.GetUserAsync(user);
        if (advisor is null)
            return Problem(StatusCodes.Status403Forbidden, "Not a staff account.");
        return await ToHttpAsync(await taking.TakeNextAsync(advisor), events);
    }

    internal static async Task<Results<Ok<QueueRow>, ProblemHttpResult>> Take(long id, ClaimsPrincipal user, UserManager<StaffUser> users, QueueTaking taking, QueueEvents events)
    {
        var advisor = await users.GetUserAsync(user);
        if (advisor is null)
            return Problem(StatusCodes.Status403Forbidden, "Not a staff account.");
        // Advisors take contacts in their languages; supervisors and admins may take any.
        var anyLanguage = user.IsInRole(Roles.Supervisor) || user.IsInRole(Roles.Admin);
        return await ToHttpAsync(await taking.TakeAsync(advisor, id, anyLanguage), events);
    }

    internal static async Task<Results<Ok<AdvisorRow>, ProblemHttpResult>> SetPresence(PresenceRequest request, ClaimsPrincipal user, UserManager<StaffUser> users, HelplineDb db, QueueEvents events, HelplineTime time)
    {
        if (request.Presence is not (Presence.Available or Presence.Break or Presence.Offline))
            return Problem(StatusCodes.Status400BadRequest, "Presence can be set to Available, Break or Offline; Busy and WrapUp follow the calls.");
        var id = users.GetUserId(user);
        if (id is null)
            return Problem(StatusCodes.Status403Forbidden, "Not a staff account.");

        var now = time.UtcNow;
        // Busy ends with the call, not by a click: a conditional update keeps it so.
        var changed = await events.CommitAsync(async () =>
            await Presences.SetAsync(db, time, id, request.Presence, reason: null, now, notFrom: Presence.Busy)
                ? [events.Record(QueueChangeKinds.PresenceChanged, now, staffUserId: id)]
                : null);
        if (!changed)
            return Problem(StatusCodes.Status409Conflict, "You are on a call; your presence changes when it ends.");
        return TypedResults.Ok(await db.Users.AsNoTracking().Where(u => u.Id == id).ToAdvisorRows().SingleAsync());
    }

    private static async Task<Results<Ok<QueueRow>, ProblemHttpResult>> ToHttpAsync(TakeResult result, QueueEvents events) => result.Outcome switch
    {
        TakeOutcome.Taken => TypedResults.Ok(result.Contact!),
        TakeOutcome.Lost => Problem(StatusCodes.Status409Conflict, "Another advisor took this contact, or it left the queue.",
            new Dictionary<string, object?> { ["queue"] = await events.SnapshotAsync() }),
        TakeOutcome.NotFound => Problem(StatusCodes.Status404NotFound, "There is no such contact."),
        TakeOutcome.NothingWaiting => Problem(StatusCodes.Status404NotFound, "Nobody is waiting in your languages."),
        TakeOutcome.NotYourLanguage => Problem(StatusCodes.Status403Forbidden, "This contact needs an advisor who speaks their language."),
        TakeOutcome.AdvisorBusy => Problem(StatusCodes.Status409Conflict, "You are already on a contact."),
        TakeOutcome.NoDialNumber => Problem(StatusCodes.Status409Conflict, "Your account has no phone number to bring you into the call; ask an admin to add one."),
        TakeOutcome.TelephonyFailed => Problem(StatusCodes.Status502BadGateway, "The phone network could not connect the call; the contact is back at its place in line."),
        TakeOutcome.AtChatLimit => Problem(StatusCodes.Status409Conflict, "You already have as many chats open as allowed; complete one first."),
        TakeOutcome.InChats => Problem(StatusCodes.Status409Conflict, "You have chats open: complete them before taking a call."),
        TakeOutcome.NotAllowedNow => Problem(StatusCodes.Status409Conflict, "This callback may not be made now: the caller withdrew consent, the number is blocked, or it is outside their hours or the line's."),
        _ => throw new InvalidOperationException(result.Outcome.ToString()),
    };

    internal static ProblemHttpResult Problem(int status, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(statusCode: status, detail: detail, extensions: extensions);
}
