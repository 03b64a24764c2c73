using System.ComponentModel.DataAnnotations;
using System.Text;
using Helpline.Audit;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;

namespace Helpline.Accounts;

/// <summary>
/// A member of staff turns two-factor sign-in on (Identity's authenticator key: any TOTP app, RFC
/// 6238, 6 digits every 30 s) with the key typed in or its otpauth link, gets ten recovery codes
/// (shown once), makes new ones, or turns it off again. Each change needs a current code and is
/// audited. No QR image: nothing leaves the page for a third-party service.
/// </summary>
public sealed class TwoFactorModel(UserManager<StaffUser> users, SignInManager<StaffUser> signIn, HelplineDb db, HelplineTime time,
    IOptions<SecurityOptions> security, IOptions<HelplineOptions> helpline) : PageModel
{
    public const int RecoveryCodeCount = 10;

    [BindProperty, StringLength(16), Display(Name = "Code from your authenticator app")]
    public string? Code { get; set; }

    /// <summary>Sent here because admins must use two-factor sign-in.</summary>
    [BindProperty(SupportsGet = true)]
    public bool Required { get; set; }

    public bool Enabled { get; private set; }
    public bool MayTurnOff { get; private set; }
    public string? SharedKey { get; private set; }
    public string? AuthenticatorUri { get; private set; }
    public int RecoveryCodesLeft { get; private set; }

    /// <summary>New recovery codes, shown once, right after they are made.</summary>
    public IReadOnlyList<string>? RecoveryCodes { get; private set; }

    [TempData]
    public string? Done { get; set; }

    public async Task OnGetAsync() => await LoadAsync(await CurrentUserAsync());

    public async Task<IActionResult> OnPostEnableAsync()
    {
        var user = await CurrentUserAsync();
        if (user.TwoFactorEnabled)
            return RedirectToPage();
        if (!await CodeIsRightAsync(user))
            return await RefusedAsync(user);
        await users.SetTwoFactorEnabledAsync(user, true);
        RecoveryCodes = [.. await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount) ?? []];
        await AuditAsync("staff.two-factor-enabled", $"{user.UserName}: authenticator app, {RecoveryCodeCount} recovery codes");
        await signIn.RefreshSignInAsync(user); // the cookie now says two-factor is on (and carries the new security stamp)
        Done = "Two-factor sign-in is on. From now on, sign-in asks for a code from your app.";
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostRecoveryCodesAsync()
    {
        var user = await CurrentUserAsync();
        if (!user.TwoFactorEnabled)
            return RedirectToPage();
        if (!await CodeIsRightAsync(user))
            return await RefusedAsync(user);
        RecoveryCodes = [.. await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount) ?? []];
        await AuditAsync("staff.recovery-codes-made", $"{user.UserName}: {RecoveryCodeCount} new recovery codes; the old ones no longer work");
        Done = "New recovery codes made; the old ones no longer work.";
        await LoadAsync(user);
        return Page();
    }

    public async Task<IActionResult> OnPostDisableAsync()
    {
        var user = await CurrentUserAsync();
        if (!user.TwoFactorEnabled)
            return RedirectToPage();
        if (MustUseTwoFactor(user))
        {
            ModelState.AddModelError(nameof(Code), "Admins must use two-factor sign-in here (Security:RequireTwoFactorForAdmins); it cannot be turned off.");
            Response.StatusCode = StatusCodes.Status409Conflict;
            await LoadAsync(user);
            return Page();
        }
        if (!await CodeIsRightAsync(user))
            return await RefusedAsync(user);
        await users.SetTwoFactorEnabledAsync(user, false);
        await users.ResetAuthenticatorKeyAsync(user); // turning it on again starts with a new key
        await AuditAsync("staff.two-factor-disabled", $"{user.UserName}: by themselves");
        await signIn.RefreshSignInAsync(user);
        Done = "Two-factor sign-in is off.";
        return RedirectToPage();
    }

    private async Task<bool> CodeIsRightAsync(StaffUser user)
    {
        var code = TwoFactorCodes.Normalize(Code);
        if (!TwoFactorCodes.LooksLikeACode(code))
        {
            ModelState.AddModelError(nameof(Code), "Type the 6 digits your authenticator app shows for this account.");
            return false;
        }
        if (await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, code))
            return true;
        ModelState.AddModelError(nameof(Code), "That code is not right. Check that the app's clock is right, and type the code it shows now.");
        return false;
    }

    private async Task<IActionResult> RefusedAsync(StaffUser user)
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        await LoadAsync(user);
        return Page();
    }

    private bool MustUseTwoFactor(StaffUser user) => security.Value.RequireTwoFactorForAdmins && User.IsInRole(Roles.Admin);

    private async Task LoadAsync(StaffUser user)
    {
        Enabled = user.TwoFactorEnabled;
        MayTurnOff = Enabled && !MustUseTwoFactor(user);
        Required = Required || (!Enabled && MustUseTwoFactor(user));
        if (Enabled)
        {
            RecoveryCodesLeft = await users.CountRecoveryCodesAsync(user);
            return;
        }
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            await users.ResetAuthenticatorKeyAsync(user);
            key = await users.GetAuthenticatorKeyAsync(user);
            await signIn.RefreshSignInAsync(user); // a new key changes the security stamp: keep this session signed in
        }
        SharedKey = Grouped(key!);
        var issuer = Uri.EscapeDataString(helpline.Value.Name);
        AuthenticatorUri = $"otpauth://totp/{issuer}:{Uri.EscapeDataString(user.Email ?? user.UserName!)}?secret={key}&issuer={issuer}&digits=6&period=30";
    }

    /// <summary>The key in groups of four, lower case, as people copy it into an app.</summary>
    private static string Grouped(string key)
    {
        var text = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4)
            text.Append(key.AsSpan(i, Math.Min(4, key.Length - i))).Append(' ');
        return text.ToString().TrimEnd().ToLowerInvariant();
    }

    private async Task<StaffUser> CurrentUserAsync() =>
        await users.GetUserAsync(User) ?? throw new InvalidOperationException("A signed-in member of staff has no account.");

    private async Task AuditAsync(string action, string details)
    {
        db.AuditEntries.Add(AuditEntry.By(User, time.UtcNow, action, details));
        await db.SaveChangesAsync();
    }
}
