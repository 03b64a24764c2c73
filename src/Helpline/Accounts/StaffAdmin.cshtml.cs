using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Helpline.Audit;
using Helpline.Data;
using Helpline.Infrastructure;
using Helpline.Queue;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Accounts;

/// <summary>
/// Admins manage staff accounts: invite (an account with a one-time set-password link shown to the
/// admin, as no email is sent), disable and enable, assign roles, give a new set-password link, turn
/// off someone's two-factor sign-in when they lost their phone. An admin cannot disable themselves
/// or drop their own admin role (the helpline would risk having no admin). Plain forms; audited.
/// </summary>
[Authorize(Policy = AccountsExtensions.AdminPolicy)]
public sealed class StaffAdminModel(UserManager<StaffUser> users, HelplineDb db, HelplineTime time, HubSessions hubSessions) : PageModel
{
    public sealed record Row(string Id, string Email, string DisplayName, IReadOnlyList<string> Roles, string State, bool Disabled, bool TwoFactor, bool IsYou);

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    /// <summary>Errors by field ("email", "displayName", "role"; or a row's id for its forms).</summary>
    public Dictionary<string, string> Errors { get; } = [];

    /// <summary>The set-password link just made, and for whom: shown once, on this answer only.</summary>
    public string? Link { get; private set; }
    public string? LinkFor { get; private set; }

    [TempData]
    public string? Done { get; set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostInviteAsync(string? email, string? displayName, string? role)
    {
        email = email?.Trim();
        displayName = displayName?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > 256 || !new EmailAddressAttribute().IsValid(email))
            Errors["email"] = "Give the person's email address (it is their sign-in name).";
        else if (await users.FindByEmailAsync(email) is not null)
            Errors["email"] = "There is already an account with this email.";
        if (string.IsNullOrEmpty(displayName) || displayName.Length > 100)
            Errors["displayName"] = "Give a name of at most 100 characters, as colleagues know them.";
        var roleName = Roles.All.FirstOrDefault(r => r == role);
        if (roleName is null)
            Errors["role"] = "Choose a role.";
        if (Errors.Count > 0)
            return await RefusedAsync(StatusCodes.Status400BadRequest);

        var user = new StaffUser
        {
            UserName = email, Email = email, EmailConfirmed = true, DisplayName = displayName!, LockoutEnabled = true, PresenceChangedAt = time.UtcNow,
        };
        var created = await users.CreateAsync(user); // no password: they choose it through the link
        if (created.Succeeded)
            created = await users.AddToRoleAsync(user, roleName!);
        if (!created.Succeeded)
        {
            Errors["email"] = string.Join(" ", created.Errors.Select(e => e.Description));
            return await RefusedAsync(StatusCodes.Status400BadRequest);
        }
        await AuditAsync("staff.invited", $"{email} as {roleName}");
        return await ShowLinkAsync(user, $"{email} is invited as {roleName}.");
    }

    public async Task<IActionResult> OnPostLinkAsync(string? id)
    {
        if (await FindAsync(id) is not { } user)
            return await NoSuchAccountAsync(id);
        await AuditAsync("staff.password-link-made", user.Email!);
        return await ShowLinkAsync(user, $"A new set-password link for {user.Email}.");
    }

    public async Task<IActionResult> OnPostDisableAsync(string? id)
    {
        if (await FindAsync(id) is not { } user)
            return await NoSuchAccountAsync(id);
        if (IsYou(user))
            return await RefusedAsync(StatusCodes.Status409Conflict, user.Id, "You cannot disable your own account.");
        if (user.DisabledAt is null)
        {
            user.DisabledAt = time.UtcNow;
            user.Presence = Presence.Offline; // never offered a call again
            user.PresenceChangedAt = time.UtcNow;
            await users.UpdateAsync(user);
            await users.UpdateSecurityStampAsync(user); // their cookies fail the next check (within a minute); open set-password links die too
            await AuditAsync("staff.disabled", user.Email!);
            hubSessions.CheckSoon(); // their live dashboard closes now on this node, within the check interval on others
        }
        Done = $"{user.Email} is disabled: they cannot sign in, and any session they have ends within a minute.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostEnableAsync(string? id)
    {
        if (await FindAsync(id) is not { } user)
            return await NoSuchAccountAsync(id);
        if (user.DisabledAt is not null)
        {
            user.DisabledAt = null;
            await users.UpdateAsync(user);
            await AuditAsync("staff.enabled", user.Email!);
        }
        Done = $"{user.Email} can sign in again.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRolesAsync(string? id, string[]? roles)
    {
        if (await FindAsync(id) is not { } user)
            return await NoSuchAccountAsync(id);
        var wanted = (roles ?? []).Distinct().ToList();
        if (wanted.Count == 0 || wanted.Any(r => !Roles.All.Contains(r)))
            return await RefusedAsync(StatusCodes.Status400BadRequest, user.Id, "Tick at least one role (Advisor, Supervisor or Admin).");
        if (IsYou(user) && !wanted.Contains(Roles.Admin))
            return await RefusedAsync(StatusCodes.Status409Conflict, user.Id, "You cannot remove your own admin role: another admin can.");
        var current = await users.GetRolesAsync(user);
        var removed = current.Except(wanted).ToList();
        var added = wanted.Except(current).ToList();
        if (removed.Count > 0)
            await users.RemoveFromRolesAsync(user, removed);
        if (added.Count > 0)
            await users.AddToRolesAsync(user, added);
        if (removed.Count + added.Count > 0)
        {
            await AuditAsync("staff.roles-changed", $"{user.Email}: {string.Join(", ", current.Order())} → {string.Join(", ", wanted.Order())}");
            hubSessions.CheckSoon(); // an open live dashboard reconnects with the new roles
        }
        Done = $"{user.Email}: {string.Join(", ", wanted.Order())}. A session they have open takes the change within a minute.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostResetTwoFactorAsync(string? id)
    {
        if (await FindAsync(id) is not { } user)
            return await NoSuchAccountAsync(id);
        if (user.TwoFactorEnabled)
        {
            await users.SetTwoFactorEnabledAsync(user, false);
            await users.ResetAuthenticatorKeyAsync(user);
            await AuditAsync("staff.two-factor-disabled", $"{user.Email}: by an admin");
            hubSessions.CheckSoon();
        }
        Done = $"Two-factor sign-in is off for {user.Email}; they can turn it on again with a new key.";
        return RedirectToPage();
    }

    private async Task<IActionResult> ShowLinkAsync(StaffUser user, string done)
    {
        var token = await users.GeneratePasswordResetTokenAsync(user);
        Link = $"{Request.Scheme}://{Request.Host}/set-password?id={Uri.EscapeDataString(user.Id)}&token={Uri.EscapeDataString(token)}";
        LinkFor = user.Email;
        Done = done;
        await LoadAsync();
        return Page();
    }

    private Task<StaffUser?> FindAsync(string? id) => string.IsNullOrEmpty(id) || id.Length > 64 ? Task.FromResult<StaffUser?>(null) : users.FindByIdAsync(id);

    private bool IsYou(StaffUser user) => user.Id == User.FindFirstValue(ClaimTypes.NameIdentifier);

    private Task<IActionResult> NoSuchAccountAsync(string? id) => RefusedAsync(StatusCodes.Status404NotFound, id ?? "", "There is no such account.");

    private async Task<IActionResult> RefusedAsync(int statusCode, string? field = null, string? problem = null)
    {
        if (field is not null && problem is not null)
            Errors[field] = problem;
        Response.StatusCode = statusCode;
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        var now = time.UtcNow;
        var accounts = await db.Users.AsNoTracking().OrderBy(u => u.DisplayName).ThenBy(u => u.Email)
            .Select(u => new { u.Id, u.Email, u.DisplayName, u.DisabledAt, u.LockoutEnd, u.PasswordHash, u.TwoFactorEnabled })
            .ToListAsync();
        var roles = await db.UserRoles.Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name }).ToListAsync();
        var you = User.FindFirstValue(ClaimTypes.NameIdentifier);
        Rows = [.. accounts.Select(a => new Row(a.Id, a.Email ?? "", a.DisplayName,
            [.. roles.Where(r => r.UserId == a.Id).Select(r => r.Name!).Order()],
            a.DisabledAt is { } disabled ? $"Disabled since {time.ToLocal(disabled):d MMM yyyy}"
                : a.LockoutEnd is { } until && until.UtcDateTime > now ? $"Locked out until {time.ToLocal(until.UtcDateTime):HH:mm}"
                : a.PasswordHash is null ? "Invited (no password yet)"
                : "Active",
            a.DisabledAt is not null, a.TwoFactorEnabled, a.Id == you))];
    }

    private async Task AuditAsync(string action, string details)
    {
        db.AuditEntries.Add(AuditEntry.By(User, time.UtcNow, action, details));
        await db.SaveChangesAsync();
    }
}
