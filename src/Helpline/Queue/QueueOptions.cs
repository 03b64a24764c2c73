using System.ComponentModel.DataAnnotations;

namespace Helpline.Queue;

/// <summary>Section "Queue": how waiting works.</summary>
public sealed class QueueOptions
{
    /// <summary>How often a waiting caller hears their place in line and the expected wait.</summary>
    [Range(5, 300)]
    public int AnnouncementIntervalSeconds { get; set; } = 30;

    /// <summary>After this long in line, a caller is offered a voicemail or a callback instead of waiting on.</summary>
    [Range(60, 7200)]
    public int LongestWaitSeconds { get; set; } = 900;

    /// <summary>How long the advisor's phone rings before the caller goes back to their place.</summary>
    [Range(5, 120)]
    public int AdvisorRingSeconds { get; set; } = 20;

    /// <summary>
    /// Changes made within this long of the first one waiting go to dashboards in one message. On a
    /// busy line this sends each dashboard a few messages a second rather than one per change; a
    /// quiet line's change waits no longer than this. 0 sends each change as soon as the last has gone.
    /// </summary>
    [Range(0, 1000)]
    public int PushWindowMilliseconds { get; set; } = 50;

    /// <summary>How often dashboards get the current version, so they notice a missed update.</summary>
    [Range(1, 300)]
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>
    /// How often each node checks its open hub connections against the staff accounts: a disabled
    /// member of staff, or one whose security stamp or roles changed, loses the live updates within this long.
    /// </summary>
    [Range(1, 300)]
    public int ConnectionCheckSeconds { get; set; } = 30;

    /// <summary>
    /// How often each node looks up the sign-ins of its open hub connections: a connection whose
    /// sign-in was signed out, on any node, is closed within this long (one indexed query per check).
    /// </summary>
    [Range(1, 60)]
    public int SignOutCheckSeconds { get; set; } = 2;

    /// <summary>Handle time assumed for the expected wait until there is history to average.</summary>
    [Range(30, 3600)]
    public int DefaultHandleSeconds { get; set; } = 300;
}
