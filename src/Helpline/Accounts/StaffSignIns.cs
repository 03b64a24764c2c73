using System.Security.Claims;
using System.Security.Cryptography;
using Helpline.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Accounts;

/// <summary>
/// One sign-in of a member of staff, kept server-side: the staff cookie carries only <see cref="Key"/>.
/// Signing out deletes the row, so a copy of the cookie taken before is refused on its next request,
/// on every node. The ticket (the claims) is protected with data protection, as the cookie would be.
/// </summary>
public sealed class StaffSignIn
{
    /// <summary>Random, 256 bits, base64url: the only thing the cookie holds.</summary>
    public required string Key { get; set; }

    public required string UserId { get; set; }

    /// <summary>The authentication ticket, serialized and protected.</summary>
    public required byte[] Ticket { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>When the cookie expires (it slides); the row is of no use after.</summary>
    public DateTime? ExpiresAt { get; set; }
}

internal sealed class StaffSignInConfiguration : IEntityTypeConfiguration<StaffSignIn>
{
    public void Configure(EntityTypeBuilder<StaffSignIn> signIn)
    {
        signIn.HasKey(s => s.Key);
        signIn.Property(s => s.Key).HasMaxLength(64);
        signIn.Property(s => s.UserId).HasMaxLength(450);
        signIn.HasIndex(s => s.UserId);
        signIn.HasIndex(s => s.ExpiresAt);
    }
}

/// <summary>
/// The cookie handler's session store (<see cref="CookieAuthenticationOptions.SessionStore"/>): each
/// sign-in is a <see cref="StaffSignIn"/> row. Each authenticated request reads its row by key, so a
/// sign-in deleted on one node is refused by every node at once.
/// </summary>
public sealed class StaffSignInStore(IServiceScopeFactory scopes, IDataProtectionProvider protection, TimeProvider clock) : ITicketStore
{
    /// <summary>The sign-in's key, in the principal, so the hub can tie a connection to its sign-in.</summary>
    public const string KeyClaim = "helpline:sign-in";

    private readonly IDataProtector _protector = protection.CreateProtector("Helpline.StaffSignIns.v1");

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var key = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow().UtcDateTime;
        WithKey(ticket.Principal, key);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        // Sign-ins are rare: clearing the expired ones here keeps the table small without a job.
        await db.StaffSignIns.Where(s => s.ExpiresAt < now).ExecuteDeleteAsync();
        db.StaffSignIns.Add(new StaffSignIn
        {
            Key = key,
            UserId = ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "",
            Ticket = Protect(ticket),
            CreatedAt = now,
            ExpiresAt = ticket.Properties.ExpiresUtc?.UtcDateTime,
        });
        await db.SaveChangesAsync();
        return key;
    }

    /// <summary>A sliding renewal or fresh roles: updates the row, and never brings back one signed out.</summary>
    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        WithKey(ticket.Principal, key);
        var protectedTicket = Protect(ticket);
        var expires = ticket.Properties.ExpiresUtc?.UtcDateTime;
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<HelplineDb>().StaffSignIns.Where(s => s.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Ticket, protectedTicket).SetProperty(r => r.ExpiresAt, expires));
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        await using var scope = scopes.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<HelplineDb>().StaffSignIns.AsNoTracking()
            .Where(s => s.Key == key).Select(s => s.Ticket).SingleOrDefaultAsync();
        if (row is null)
            return null;
        try
        {
            var ticket = TicketSerializer.Default.Deserialize(_protector.Unprotect(row));
            if (ticket is not null)
                WithKey(ticket.Principal, key);
            return ticket;
        }
        catch (CryptographicException)
        {
            // Protected with a key that is gone: as good as signed out.
            return null;
        }
    }

    public async Task RemoveAsync(string key)
    {
        await using var scope = scopes.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<HelplineDb>().StaffSignIns.Where(s => s.Key == key).ExecuteDeleteAsync();
    }

    /// <summary>The key of the sign-in a principal came from, or null.</summary>
    public static string? KeyOf(ClaimsPrincipal? principal) => principal?.FindFirstValue(KeyClaim);

    /// <summary>Puts the key on a principal that lacks it (a principal made afresh from the account, with new roles).</summary>
    public static void WithKey(ClaimsPrincipal principal, string key)
    {
        if (KeyOf(principal) is not null || principal.Identity is not ClaimsIdentity identity)
            return;
        identity.AddClaim(new Claim(KeyClaim, key));
    }

    private byte[] Protect(AuthenticationTicket ticket) => _protector.Protect(TicketSerializer.Default.Serialize(ticket));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
