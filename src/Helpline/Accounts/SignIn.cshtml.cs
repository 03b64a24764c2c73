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
/// Staff sign-in. Every attempt (success, failure, lockout, too many) is logged and audited with
/// the account, or a hash of an unknown name, and never the password.
/// </summary>
[AllowAnonymous]
[EnableRateLimiting(SignInLimits.PolicyName)]
public sealed class SignInModel(SignInManager<StaffUser> signIn, SignInLimits limits, HelplineDb db, HelplineTime time, ILogger<SignInModel> logger) : PageModel
{
    [BindProperty, Required, EmailAddress, StringLength(256), Display(Name = "Email")]
    public string Email { get; set; } = "";

    [BindProperty, Required, StringLength(512), DataType(DataType.Password), Display(Name = "Password")]
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

        var user = await signIn.UserManager.FindByNameAsync(Email);
        var account = user is null ? SignInLimits.HashOfUnknownName(Email) : SignInLimits.Mask(user.UserName!);
        if (!limits.TryAcquireForAccount(Email))
            return await ThrottledAsync(user, account);

        var wasLocked = user is not null && await signIn.UserManager.IsLockedOutAsync(user);
        // (A disabled account is refused before its password is checked; it gets the same answer as a wrong password.)
        var result = user is null
            ? Microsoft.AspNetCore.Identity.SignInResult.Failed
            : await signIn.PasswordSignInAsync(user, Password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            logger.LogInformation("Staff sign-in succeeded for {Account} ({UserId})", account, user!.Id);
            await AuditAsync(user, "staff.signed-in");
            return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/staff");
        }
        if (result.RequiresTwoFactor)
        {
            logger.LogInformation("Staff password accepted for {Account} ({UserId}); two-factor code asked", account, user!.Id);
            await AuditAsync(user, "staff.two-factor-asked");
            return Redirect("/sign-in/two-factor" + (Url.IsLocalUrl(ReturnUrl) ? "?ReturnUrl=" + Uri.EscapeDataString(ReturnUrl) : ""));
        }
        return await FailedAsync(user, account, result, wasLocked);
    }

    private async Task<IActionResult> ThrottledAsync(StaffUser? user, string account)
    {
        logger.LogWarning("Staff sign-in refused for {Account}: too many attempts for this account name", account);
        await AuditAsync(user, "staff.sign-in-throttled");
        Response.StatusCode = StatusCodes.Status429TooManyRequests;
        Error = SignInLimits.TooManyMessage;
        return Page();
    }

    /// <summary>A refused password (or account): logged and audited with the reason; the attempt that locks the account says so once, loudly.</summary>
    private async Task<IActionResult> FailedAsync(StaffUser? user, string account, Microsoft.AspNetCore.Identity.SignInResult result, bool wasLocked)
    {
        var lockedNow = result.IsLockedOut && !wasLocked;
        var reason = lockedNow ? "wrong password" : result.IsLockedOut ? "locked out" : result.IsNotAllowed ? (user?.DisabledAt is not null ? "account disabled" : "not allowed") : user is null ? "no such account" : "wrong password";
        logger.LogWarning("Staff sign-in failed for {Account}: {Reason}", account, reason);
        await AuditAsync(user, result.IsLockedOut && !lockedNow ? "staff.sign-in-locked-out" : "staff.sign-in-failed", reason);
        if (lockedNow)
        {
            logger.LogWarning("Staff account {Account} ({UserId}) locked for {Minutes} minutes after too many failed sign-ins",
                account, user!.Id, signIn.Options.Lockout.DefaultLockoutTimeSpan.TotalMinutes);
            await AuditAsync(user, "staff.locked-out");
        }

        Error = result.IsLockedOut
            ? "This account is locked for a few minutes after too many failed attempts."
            : "The email or password is not right.";
        return Page();
    }

    private async Task AuditAsync(StaffUser? user, string action, string? reason = null)
    {
        db.AuditEntries.Add(AuditOfAttempt(HttpContext, time.UtcNow, action, user, Email, reason));
        await db.SaveChangesAsync();
    }

    /// <summary>An audit row for a sign-in step: the account (or a hash of an unknown name), the reason, the client address.</summary>
    internal static AuditEntry AuditOfAttempt(HttpContext http, DateTime at, string action, StaffUser? user, string typedName, string? reason)
    {
        var from = http.Connection.RemoteIpAddress is { } address ? $"from {address}" : null;
        var details = string.Join("; ", new[] { reason, from }.OfType<string>());
        return AuditEntry.ForAccount(at, action, user?.Id, user?.UserName ?? SignInLimits.HashOfUnknownName(typedName), details.Length == 0 ? null : details);
    }
}
