using Helpline.Accounts;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Queue;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Dashboard;

/// <summary>
/// The advisor's dashboard. The first paint is rendered here (who is waiting, in queue order); the
/// page's script then keeps it live from /hubs/queue.
/// </summary>
public sealed class IndexModel(HelplineDb db, UserManager<StaffUser> users) : PageModel
{
    public IReadOnlyList<QueueRow> Waiting { get; private set; } = [];
    public string UserId { get; private set; } = "";
    public bool MayTakeAnyLanguage { get; private set; }

    public static readonly Disposition[] Dispositions = Enum.GetValues<Disposition>();

    public async Task OnGetAsync()
    {
        UserId = users.GetUserId(User) ?? "";
        MayTakeAnyLanguage = User.IsInRole(Roles.Supervisor) || User.IsInRole(Roles.Admin);
        Waiting = await db.Contacts.AsNoTracking()
            .Where(c => c.Status == ContactStatus.Waiting)
            .InQueueOrder()
            .ToQueueRowsAsync();
    }

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
