using Helpline.Accounts;
using Helpline.Contacts;

namespace Helpline.Queue;

/// <summary>
/// A contact as dashboards see it: what a queue row needs and nothing more (no name, the number
/// masked). The caller's details are read through the audited details endpoint.
/// </summary>
public sealed record QueueRow(
    long ContactId,
    ContactChannel Channel,
    ContactStatus Status,
    ContactPriority Priority,
    CallerLanguage Language,
    ContactFor For,
    string? Region,
    DateTime? QueuedAt,
    string MaskedNumber,
    string? AdvisorId,
    bool CallerRinging = false,
    string? Risk = null);

public sealed record AdvisorRow(string Id, string DisplayName, Presence Presence, string? PresenceReason, DateTime PresenceChangedAt, AdvisorLanguages Languages);

/// <summary>The queue and the team at one version. Rows are in queue order: priority, then place in line.</summary>
public sealed record QueueSnapshot(long Version, IReadOnlyList<QueueRow> Contacts, IReadOnlyList<AdvisorRow> Advisors);

/// <summary>
/// One change, carrying the next version and the full current state of what changed: a contact to
/// upsert (or its id to remove when it left the active queue), and/or an advisor.
/// </summary>
public sealed record QueueDelta(long Version, string Kind, QueueRow? Contact, long? RemovedContactId, AdvisorRow? Advisor);

public static class QueueRowQueries
{
    /// <summary>Contacts a dashboard shows: waiting, being connected, on a call, or in wrap-up.</summary>
    public static readonly ContactStatus[] Active = [ContactStatus.Waiting, ContactStatus.Connecting, ContactStatus.InProgress, ContactStatus.WrapUp];

    public static bool IsActive(ContactStatus status) => Array.IndexOf(Active, status) >= 0;

    public static IQueryable<Contact> InQueueOrder(this IQueryable<Contact> contacts) =>
        contacts.OrderByDescending(c => c.Priority).ThenBy(c => c.QueuedAt).ThenBy(c => c.Id);

    public static async Task<List<QueueRow>> ToQueueRowsAsync(this IQueryable<Contact> contacts, CancellationToken cancellationToken = default)
    {
        var rows = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(contacts.Select(c => new
        {
            c.Id, c.Channel, c.Status, c.Priority, c.Language, c.For, c.Region, c.QueuedAt, c.AdvisorId,
            Phone = c.Caller != null ? c.Caller.PhoneNumber : null,
            CallerRinging = c.Status == ContactStatus.Connecting && c.CalleeCallSid != null,
            Risk = c.Conversation != null ? c.Conversation.RiskReason : null,
        }), cancellationToken);
        return [.. rows.Select(r => new QueueRow(r.Id, r.Channel, r.Status, r.Priority, r.Language, r.For, r.Region, r.QueuedAt, r.Channel == ContactChannel.Chat ? "—" : CallerNumbers.Mask(r.Phone), r.AdvisorId, r.CallerRinging, r.Risk))];
    }

    public static IQueryable<AdvisorRow> ToAdvisorRows(this IQueryable<StaffUser> users) =>
        users.Select(u => new AdvisorRow(u.Id, u.DisplayName, u.Presence, u.PresenceReason, u.PresenceChangedAt, u.Languages));
}
