using System.Security.Claims;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Bridge;
using Helpline.Calls;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Helpline.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Treatment;

/// <summary>The directory for staff: search, and referring a contact's caller to a facility.</summary>
public static class DirectoryApi
{
    public static IEndpointRouteBuilder MapDirectoryApi(this IEndpointRouteBuilder app)
    {
        var directory = app.MapGroup("/api/directory").RequireAuthorization();
        directory.MapGet("/search", Search);
        directory.MapGet("/facilities/{id:long}", Facility);
        directory.MapGet("/referrals/counts", ReferralCounts).RequireAuthorization(AccountsExtensions.SupervisorPolicy);

        var referrals = app.MapGroup("/api/contacts/{id:long}/referrals").RequireAuthorization();
        referrals.MapPost("/", Refer);
        referrals.MapGet("/", Referrals);
        return app;
    }

    public sealed record SearchParameters(
        string? City, string? State, string? Zip, string? Near, double? Miles, string? Service, [property: FromQuery(Name = "q")] string? Text, int? Take);

    public sealed record ReferralRequest(long FacilityId, ReferralMethod How);

    public sealed record ReferralRow(long Id, long FacilityId, string FacilityName, string City, string State, string? IntakePhone, ReferralMethod How, DateTime At, string? AdvisorName);

    public sealed record ReferralCount(ReferralMethod How, int Referrals);

    public sealed record ReferralCountsReport(DateOnly From, DateOnly To, int Total, IReadOnlyList<ReferralCount> ByMethod);

    /// <summary>By city, state, ZIP, distance from a ZIP or a point (nearest first, in miles) and service.</summary>
    internal static async Task<Results<Ok<FacilitySearchResult>, ProblemHttpResult>> Search([AsParameters] SearchParameters p, FacilitySearch search, CancellationToken cancellationToken)
    {
        var (query, problem) = await search.ParseAsync(p.City, p.State, p.Zip, p.Near, p.Miles, p.Service, p.Text, p.Take);
        if (query is null)
            return QueueApi.Problem(StatusCodes.Status400BadRequest, problem!);
        return TypedResults.Ok(await search.SearchAsync(query, cancellationToken));
    }

    internal static async Task<Results<Ok<FacilityHit>, NotFound>> Facility(long id, FacilitySearch search, CancellationToken cancellationToken)
    {
        var hit = (await search.HitsAsync([id], cancellationToken: cancellationToken)).SingleOrDefault();
        return hit is null || hit.Hidden ? TypedResults.NotFound() : TypedResults.Ok(hit);
    }

    /// <summary>
    /// Records a referral on the contact: the number given, or a warm transfer that dials the facility's
    /// intake line into the caller's conference (as the crisis transfer does). Audited.
    /// </summary>
    internal static async Task<Results<Created<ReferralRow>, ProblemHttpResult>> Refer(long id, ReferralRequest request, ClaimsPrincipal user, UserManager<StaffUser> users,
        HelplineDb db, HelplineTime time, ITelephonyGateway gateway, PublicUrls urls, IOptions<HelplineOptions> helpline)
    {
        if (!Enum.IsDefined(request.How))
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "How must be NumberGiven or WarmTransfer.");
        var contact = await db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.Id == id);
        if (contact is null)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such contact.");
        var me = users.GetUserId(user);
        if (contact.AdvisorId != me && !(user.IsInRole(Roles.Supervisor) || user.IsInRole(Roles.Admin)))
            return QueueApi.Problem(StatusCodes.Status403Forbidden, "This contact is another advisor's.");
        var facility = await db.Facilities.AsNoTracking().Where(f => f.Id == request.FacilityId && !f.Hidden)
            .Select(f => new { f.Id, f.Name, f.City, f.State, f.IntakePhone }).SingleOrDefaultAsync();
        if (facility is null)
            return QueueApi.Problem(StatusCodes.Status404NotFound, "There is no such facility in the directory.");

        string? transferCall = null;
        if (request.How == ReferralMethod.WarmTransfer)
        {
            (transferCall, var refused) = await DialIntakeAsync(contact, facility.IntakePhone, gateway, urls, helpline.Value.HotlineNumber);
            if (refused is not null)
                return refused;
        }
        else if (contact.Status is not (ContactStatus.InProgress or ContactStatus.WrapUp or ContactStatus.Completed))
        {
            return QueueApi.Problem(StatusCodes.Status409Conflict, "A referral is recorded during or after a conversation with the caller.");
        }

        var now = time.UtcNow;
        var referral = new Referral
        {
            ContactId = id,
            FacilityId = facility.Id,
            How = request.How,
            AdvisorId = me,
            TransferCallSid = transferCall,
            At = now,
            LocalDate = time.Stamp(now).Date,
        };
        db.Referrals.Add(referral);
        db.AuditEntries.Add(AuditEntry.By(user, now, "contact.referred", id, $"facility {facility.Id}, {request.How}"));
        await db.SaveChangesAsync();
        return TypedResults.Created($"/api/contacts/{id}/referrals",
            new ReferralRow(referral.Id, facility.Id, facility.Name, facility.City, facility.State, facility.IntakePhone, request.How, now, user.Identity?.Name));
    }

    /// <summary>A warm transfer dials the facility's intake line into the caller's conference: the new call's SID, or why not.</summary>
    private static async Task<(string? Call, ProblemHttpResult? Refused)> DialIntakeAsync(Contact contact, string? intakePhone, ITelephonyGateway gateway, PublicUrls urls, string hotline)
    {
        if (contact.Status != ContactStatus.InProgress)
            return (null, QueueApi.Problem(StatusCodes.Status409Conflict, "A warm transfer needs the caller on the line."));
        if (CallerNumbers.CallableE164(intakePhone) is not { } intake)
            return (null, QueueApi.Problem(StatusCodes.Status409Conflict, "The directory has no intake number to dial for this facility; give the caller its details instead."));
        try
        {
            return (await BridgeApi.DialIntoConferenceAsync(gateway, urls, hotline, contact.Id, intake), null);
        }
        catch (TelephonyException)
        {
            return (null, QueueApi.Problem(StatusCodes.Status502BadGateway, "The phone network could not call the facility; give the caller its number instead."));
        }
    }

    /// <summary>Where a caller was sent is as sensitive as their details: audited like them (<c>contact.viewed</c>).</summary>
    internal static async Task<Results<Ok<List<ReferralRow>>, NotFound>> Referrals(long id, ClaimsPrincipal user, HelplineDb db, HelplineTime time)
    {
        if (!await db.Contacts.AnyAsync(c => c.Id == id))
            return TypedResults.NotFound();
        var rows = await db.Referrals.AsNoTracking().Where(r => r.ContactId == id).OrderBy(r => r.At)
            .Select(r => new ReferralRow(r.Id, r.FacilityId, r.Facility!.Name, r.Facility.City, r.Facility.State, r.Facility.IntakePhone, r.How, r.At, r.Advisor!.DisplayName))
            .ToListAsync();
        db.AuditEntries.Add(AuditEntry.By(user, time.UtcNow, "contact.referrals-viewed", id, $"{rows.Count} referral(s)"));
        await db.SaveChangesAsync();
        return TypedResults.Ok(rows);
    }

    /// <summary>Referrals made between two helpline-local dates (inclusive), by how they were made.</summary>
    internal static async Task<Results<Ok<ReferralCountsReport>, ProblemHttpResult>> ReferralCounts(DateOnly? from, DateOnly? to, HelplineDb db, HelplineTime time)
    {
        var today = time.Stamp(time.UtcNow).Date;
        var (start, end) = (from ?? today, to ?? today);
        if (end < start)
            return QueueApi.Problem(StatusCodes.Status400BadRequest, "The report must end on or after the day it starts.");
        var counts = await db.Referrals.AsNoTracking().Where(r => r.LocalDate >= start && r.LocalDate <= end)
            .GroupBy(r => r.How).Select(g => new ReferralCount(g.Key, g.Count())).ToListAsync();
        return TypedResults.Ok(new ReferralCountsReport(start, end, counts.Sum(c => c.Referrals), counts.OrderBy(c => c.How).ToList()));
    }
}
