namespace Helpline.Queue;

/// <summary>
/// One change to the queue or to advisors' presence. Its <see cref="Version"/> is allocated by
/// the database (an autoincrement key), so versions are ordered across several app nodes and
/// a dashboard can ask for "everything after version N".
/// </summary>
public sealed class QueueChange
{
    public long Version { get; set; }
    public DateTime At { get; set; }
    public required string Kind { get; set; }
    public long? ContactId { get; set; }
    public string? StaffUserId { get; set; }
}

public static class QueueChangeKinds
{
    public const string ContactQueued = "contact.queued";
    public const string ContactUpdated = "contact.updated";
    public const string ContactLeftQueue = "contact.left-queue";
    public const string ContactTaken = "contact.taken";
    public const string ContactReturned = "contact.returned";
    public const string ContactAnswered = "contact.answered";
    public const string ContactWrapUp = "contact.wrap-up";
    public const string ContactCompleted = "contact.completed";
    public const string PresenceChanged = "presence.changed";
}
