using Helpline.Queue;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Helpline.Accounts;

public sealed class SignOutModel(SignInManager<StaffUser> signIn, HubSessions hubSessions) : PageModel
{
    public IActionResult OnGet() => Page();

    /// <summary>Ends this sign-in, not only the browser's cookie: its row goes (see <see cref="StaffSignInStore"/>), and with it its live updates.</summary>
    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync();
        hubSessions.CheckSignOutsSoon();
        return LocalRedirect("/");
    }
}
