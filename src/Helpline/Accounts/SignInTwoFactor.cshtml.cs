using System.ComponentModel.DataAnnotations;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace Helpline.Accounts;

/// <summary>
/// The second step of sign-in for staff with two-factor sign-in on: the 6-digit code from their
/// authenticator app, or one of their recovery codes. Wrong codes count towards the lockout; every
/// attempt is audited like a password attempt.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(SignInLimits.PolicyName)]
public sealed class SignInTwoFactorModel(SignInManager<StaffUser> signIn, HelplineDb db, HelplineTime time, ILogger<SignInTwoFactorModel> logger) : PageModel
{
    [BindProperty, StringLength(16), Display(Name = "Code from your authenticator app")]
    public string? Code { get; set; }

    [BindProperty, StringLength(64), Display(Name = "…or a recovery code")]
    public string? RecoveryCode { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? Redirect("/sign-in") : Page();

    public async Task<IActionResult> OnPostAsync()
    {
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
            return Redirect("/sign-in"); // the password step expired (or never happened)
        if (!ModelState.IsValid)
            return BadRequestPage();

        var code = TwoFactorCodes.Normalize(Code);
        var recovery = RecoveryCode?.Replace(" ", "").Trim(); // Identity's codes read xxxxx-xxxxx: the hyphen is part of them
        Microsoft.AspNetCore.Identity.SignInResult result;
        string how;
        if (code.Length > 0)
        {
            if (!TwoFactorCodes.LooksLikeACode(code))
            {
                ModelState.AddModelError(nameof(Code), "The code is the 6 digits your authenticator app shows.");
                return BadRequestPage();
            }
            result = await signIn.TwoFactorAuthenticatorSignInAsync(code, isPersistent: false, rememberClient: false);
            how = "authenticator code";
        }
        else if (!string.IsNullOrEmpty(recovery))
        {
            result = await signIn.TwoFactorRecoveryCodeSignInAsync(recovery);
            how = "recovery code";
        }
        else
        {
            ModelState.AddModelError(nameof(Code), "Type the 6-digit code from your authenticator app, or one of your recovery codes.");
            return BadRequestPage();
        }

        var account = SignInLimits.Mask(user.UserName!);
        if (result.Succeeded)
        {
            logger.LogInformation("Staff sign-in succeeded for {Account} ({UserId}) with a {How}", account, user.Id, how);
            var left = how == "recovery code" ? $"; {await signIn.UserManager.CountRecoveryCodesAsync(user)} recovery code(s) left" : "";
            await AuditAsync(user, "staff.signed-in", $"password and {how}{left}");
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/staff");
        }
        logger.LogWarning("Staff sign-in failed for {Account}: {Reason}", account, result.IsLockedOut ? "locked out" : $"wrong {how}");
        await AuditAsync(user, result.IsLockedOut ? "staff.sign-in-locked-out" : "staff.sign-in-failed", $"wrong {how}");
        Error = result.IsLockedOut
            ? "This account is locked for a few minutes after too many failed attempts."
            : $"That {how} is not right. Codes change every 30 seconds: type the one your app shows now.";
        ModelState.AddModelError(how == "recovery code" ? nameof(RecoveryCode) : nameof(Code), Error);
        return Page();
    }

    private PageResult BadRequestPage()
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    private async Task AuditAsync(StaffUser user, string action, string reason)
    {
        db.AuditEntries.Add(SignInModel.AuditOfAttempt(HttpContext, time.UtcNow, action, user, user.UserName!, reason));
        await db.SaveChangesAsync();
    }
}

/// <summary>What people type as a code: spaces and hyphens are allowed between the digits.</summary>
public static class TwoFactorCodes
{
    public static string Normalize(string? typed) => (typed ?? "").Replace(" ", "").Replace("-", "").Trim();

    public static bool LooksLikeACode(string code) => code.Length == 6 && code.All(char.IsAsciiDigit);
}
