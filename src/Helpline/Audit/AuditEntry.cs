using System.Security.Claims;

namespace Helpline.Audit;

/// <summary>
/// Who read, exported or changed which record, and when. Append-only: the context refuses
/// to update or delete these rows, and so does the database (triggers in the migration).
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }

    /// <summary>Staff user id, or null for the system (webhooks, jobs).</summary>
    public string? UserId { get; set; }
    public string? UserName { get; set; }

    /// <summary>What happened, e.g. <c>contact.viewed</c>.</summary>
    public required string Action { get; set; }

    public long? ContactId { get; set; }

    /// <summary>Free text without caller details.</summary>
    public string? Details { get; set; }

    /// <summary>An entry about a staff account itself (signing in), with or without a known user.</summary>
    public static AuditEntry ForAccount(DateTime at, string action, string? userId, string userName, string? details = null) => new()
    {
        At = at,
        UserId = userId,
        UserName = userName,
        Action = action,
        Details = details,
    };

    /// <summary>An entry for something a signed-in member of staff did to a contact.</summary>
    public static AuditEntry By(ClaimsPrincipal user, DateTime at, string action, long? contactId, string? details = null) => new()
    {
        At = at,
        UserId = user.FindFirstValue(ClaimTypes.NameIdentifier),
        UserName = user.Identity?.Name,
        Action = action,
        ContactId = contactId,
        Details = details,
    };

    /// <summary>An entry for something a signed-in member of staff did outside any contact (e.g. hiding a directory listing).</summary>
    public static AuditEntry By(ClaimsPrincipal user, DateTime at, string action, string details) => new()
    {
        At = at,
        UserId = user.FindFirstValue(ClaimTypes.NameIdentifier),
        UserName = user.Identity?.Name,
        Action = action,
        Details = details,
    };
}
