using Helpline.Contacts;
using Microsoft.AspNetCore.Identity;

namespace Helpline.Accounts;

/// <summary>A member of staff: advisor, supervisor or admin. Advisors carry presence and languages.</summary>
public sealed class StaffUser : IdentityUser
{
    public required string DisplayName { get; set; }

    public AdvisorLanguages Languages { get; set; } = AdvisorLanguages.English;

    public Presence Presence { get; set; } = Presence.Offline;

    /// <summary>Why the advisor is on break, e.g. "missed a call"; shown to supervisors.</summary>
    public string? PresenceReason { get; set; }

    public DateTime PresenceChangedAt { get; set; }

    /// <summary>The number the app dials to bring this advisor into a call (E.164).</summary>
    public string? DialNumber { get; set; }

    /// <summary>When an admin disabled the account: it cannot sign in, and its cookies stop working within a minute.</summary>
    public DateTime? DisabledAt { get; set; }
}

[Flags]
public enum AdvisorLanguages
{
    None = 0,
    English = 1,
    Spanish = 2,
}

public enum Presence
{
    Offline = 0,
    Available = 1,
    Busy = 2,
    WrapUp = 3,
    Break = 4,
}

public static class Roles
{
    public const string Advisor = "Advisor";
    public const string Supervisor = "Supervisor";
    public const string Admin = "Admin";

    public static readonly string[] All = [Advisor, Supervisor, Admin];

    public static AdvisorLanguages ToAdvisorLanguage(this CallerLanguage language) => language switch
    {
        CallerLanguage.Spanish => AdvisorLanguages.Spanish,
        _ => AdvisorLanguages.English,
    };
}
