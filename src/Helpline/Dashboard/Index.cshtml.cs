using Helpline.Accounts;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Dashboard;

/// <summary>
/// The advisor's dashboard. The first paint is rendered here (who is waiting, in queue order, the
/// rows as the script draws them); the page's script then keeps it live from /hubs/queue, changing
/// only the rows that changed.
/// </summary>
public sealed class IndexModel(HelplineDb db, UserManager<StaffUser> users, HelplineTime time) : PageModel
{
    private AdvisorLanguages _languages;
    private bool _busy;

    public IReadOnlyList<QueueRow> Waiting { get; private set; } = [];
    public string UserId { get; private set; } = "";
    public bool MayTakeAnyLanguage { get; private set; }

    public static readonly Disposition[] Dispositions = Enum.GetValues<Disposition>();

    public async Task OnGetAsync()
    {
        UserId = users.GetUserId(User) ?? "";
        MayTakeAnyLanguage = User.IsInRole(Roles.Supervisor) || User.IsInRole(Roles.Admin);
        var me = await db.Users.AsNoTracking().Where(u => u.Id == UserId).Select(u => new { u.Languages, u.Presence }).SingleOrDefaultAsync();
        _languages = me?.Languages ?? AdvisorLanguages.None;
        _busy = me?.Presence is Presence.Busy or Presence.WrapUp;
        Waiting = await db.Contacts.AsNoTracking()
            .Where(c => c.Status == ContactStatus.Waiting)
            .InQueueOrder()
            .ToQueueRowsAsync();
    }

    public bool MayTake(QueueRow row) => !_busy && (MayTakeAnyLanguage || _languages.HasFlag(row.Language.ToAdvisorLanguage()));

    /// <summary>As the script shows a wait: m:ss, or h:mm:ss.</summary>
    public string WaitedSince(DateTime? queuedAt)
    {
        if (queuedAt is not { } at)
            return "";
        var waited = TimeSpan.FromSeconds(Math.Max(0, Math.Floor((time.UtcNow - at).TotalSeconds)));
        return waited.TotalHours >= 1 ? $"{(int)waited.TotalHours}:{waited.Minutes:00}:{waited.Seconds:00}" : $"{waited.Minutes}:{waited.Seconds:00}";
    }

    public static string Word(ContactChannel channel) => channel switch
    {
        ContactChannel.WebForm => "Web form",
        ContactChannel.Sms => "Text",
        _ => channel.ToString(),
    };

    public static string Word(ContactFor @for) => @for switch
    {
        ContactFor.Self => "Themselves",
        ContactFor.LovedOne => "Someone they love",
        _ => "—",
    };

    public static string Label(Disposition disposition) => disposition switch
    {
        Disposition.InformationGiven => "Information given",
        Disposition.ReferredToTreatment => "Referred to treatment",
        Disposition.CrisisEscalated911 => "Crisis escalated: 911",
        Disposition.CrisisEscalated988 => "Crisis escalated: 988 / crisis line",
        Disposition.CallbackScheduled => "Callback scheduled",
        Disposition.Silent => "Silent call",
        Disposition.HangUp => "Hang-up",
        Disposition.WrongNumber => "Wrong number",
        Disposition.Abusive => "Abusive",
        _ => "Other",
    };
}
