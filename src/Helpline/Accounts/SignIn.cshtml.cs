using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Helpline.Accounts;

[AllowAnonymous]
public sealed class SignInModel(SignInManager<StaffUser> signIn, ILogger<SignInModel> logger) : PageModel
{
    [BindProperty, Required, EmailAddress, Display(Name = "Email")]
    public string Email { get; set; } = "";

    [BindProperty, Required, DataType(DataType.Password), Display(Name = "Password")]
    public string Password { get; set; } = "";

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
            return Page();

        var result = await signIn.PasswordSignInAsync(Email, Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            logger.LogInformation("Staff sign-in succeeded for user {UserName}", Email);
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/staff");
        }

        logger.LogWarning("Staff sign-in failed for user {UserName}: {Reason}", Email,
            result.IsLockedOut ? "locked out" : result.IsNotAllowed ? "not allowed" : "wrong email or password");
        Error = result.IsLockedOut
            ? "This account is locked for a few minutes after too many failed attempts."
            : "The email or password is not right.";
        return Page();
    }
}
