using System.ComponentModel.DataAnnotations;
using Helpline.Audit;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Helpline.Accounts;

/// <summary>
/// Where an invited member of staff (or one an admin gave a new link) sets their password. The link
/// carries Identity's password-reset token: valid for a day, and only once, because setting the
/// password changes the account's security stamp (so does disabling the account).
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(SignInLimits.PolicyName)]
public sealed class SetPasswordModel(UserManager<StaffUser> users, HelplineDb db, HelplineTime time) : PageModel
{
    [BindProperty(SupportsGet = true), StringLength(64)]
    public string? Id { get; set; }

    [BindProperty(SupportsGet = true), StringLength(2048)]
    public string? Token { get; set; }

    [BindProperty, Required(ErrorMessage = "Choose a password."), StringLength(512), DataType(DataType.Password), Display(Name = "New password")]
    public string Password { get; set; } = "";

    [BindProperty, Required(ErrorMessage = "Type the password again."), Compare(nameof(Password), ErrorMessage = "The two passwords are not the same."),
     DataType(DataType.Password), Display(Name = "The same password again")]
    public string Confirm { get; set; } = "";

    public string? Email { get; private set; }
    public bool LinkUnusable { get; private set; }
    public bool PasswordSet { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        var user = await UserOfLinkAsync();
        if (user is null || !await users.VerifyUserTokenAsync(user, users.Options.Tokens.PasswordResetTokenProvider, UserManager<StaffUser>.ResetPasswordTokenPurpose, Token!))
            return Unusable();
        Email = user.Email;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await UserOfLinkAsync();
        if (user is null)
            return Unusable();
        Email = user.Email;
        if (!ModelState.IsValid)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        var result = await users.ResetPasswordAsync(user, Token!, Password);
        if (!result.Succeeded)
        {
            if (result.Errors.Any(e => e.Code == "InvalidToken"))
                return Unusable();
            foreach (var error in result.Errors)
                ModelState.AddModelError(nameof(Password), error.Description);
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return Page();
        }
        db.AuditEntries.Add(SignInModel.AuditOfAttempt(HttpContext, time.UtcNow, "staff.password-set", user, user.UserName!, "through a set-password link"));
        await db.SaveChangesAsync();
        PasswordSet = true;
        return Page();
    }

    private async Task<StaffUser?> UserOfLinkAsync() =>
        string.IsNullOrEmpty(Id) || string.IsNullOrEmpty(Token) ? null : await users.FindByIdAsync(Id);

    private PageResult Unusable()
    {
        LinkUnusable = true;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}
