using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Helpline.Chat;

/// <summary>
/// An advisor's view of one conversation, a web chat or texts, /staff/conversations/{id}: the
/// transcript live, a reply box (with the SMS segment count for texts), the crisis template, ending
/// the conversation, and its wrap-up. The transcript is read through the audited API, never rendered
/// into the page; a picture the person texted is fetched through the app when the advisor opens it.
/// </summary>
public sealed class ConversationPageModel(Microsoft.AspNetCore.Identity.UserManager<Accounts.StaffUser> users) : PageModel
{
    public long Id { get; private set; }

    public string UserId { get; private set; } = "";

    public void OnGet(long id)
    {
        Id = id;
        UserId = users.GetUserId(User) ?? "";
    }

    /// <summary>
    /// The crisis template: the crisis line's chat and text options, and 911 for danger now. One
    /// click puts it in the reply box, to send as it is or adapted.
    /// </summary>
    public const string CrisisTemplate =
        "If you or someone with you is in danger right now, call 911. " +
        "You can reach the 988 Suicide & Crisis Lifeline any time: call or text 988, or chat at 988lifeline.org/chat. " +
        "Para español: llame al 988 y oprima 2, o envíe \"AYUDA\" por texto al 988.";
}
