using System.Collections.Concurrent;
using System.Security.Claims;
using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Queue;

/// <summary>
/// The hub connections open on this node, each with the account state it was opened with (security
/// stamp and roles, from the cookie's principal). A cookie is re-checked every minute, but an open
/// connection never is: <see cref="HubSessionCheck"/> compares these with the accounts and closes
/// those of staff who were disabled or removed, whose security stamp changed (password, two-factor), or whose roles changed.
/// </summary>
public sealed class HubSessions(IOptions<IdentityOptions> identity)
{
    internal sealed record Session(HubCallerContext Connection, string UserId, string? UserName, string? Stamp, string Roles, string? SignInKey);

    private readonly ConcurrentDictionary<string, Session> _open = new();
    private readonly SemaphoreSlim _checkNow = new(0, 1);
    private readonly SemaphoreSlim _checkSignOutsNow = new(0, 1);

    public void Opened(HubCallerContext connection)
    {
        var claims = identity.Value.ClaimsIdentity;
        var user = connection.User ?? new ClaimsPrincipal();
        _open[connection.ConnectionId] = new Session(connection, user.FindFirstValue(claims.UserIdClaimType) ?? "", user.Identity?.Name,
            user.FindFirstValue(claims.SecurityStampClaimType), RoleList(user.FindAll(claims.RoleClaimType).Select(c => c.Value)),
            StaffSignInStore.KeyOf(user));
    }

    /// <summary>Someone signed out on this node: close that sign-in's connections now rather than at the next poll.</summary>
    public void CheckSignOutsSoon() => Release(_checkSignOutsNow);

    internal Task WaitForSignOutCheckAsync(TimeSpan interval, CancellationToken cancellationToken) => _checkSignOutsNow.WaitAsync(interval, cancellationToken);

    private static void Release(SemaphoreSlim check)
    {
        try
        {
            check.Release();
        }
        catch (SemaphoreFullException)
        {
            // A check is already due.
        }
    }

    public void Closed(string connectionId) => _open.TryRemove(connectionId, out _);

    /// <summary>An account changed on this node: check now rather than at the next interval (other nodes still check at theirs).</summary>
    public void CheckSoon() => Release(_checkNow);

    internal Task WaitForCheckAsync(TimeSpan interval, CancellationToken cancellationToken) => _checkNow.WaitAsync(interval, cancellationToken);

    internal IReadOnlyCollection<Session> Open => [.. _open.Values];

    internal static string RoleList(IEnumerable<string> roles) => string.Join(",", roles.Distinct().Order(StringComparer.Ordinal));
}

/// <summary>
/// Every <see cref="QueueOptions.ConnectionCheckSeconds"/> (and at once when an admin acts on this
/// node), loads the accounts of the staff connected to this node in one query and aborts the
/// connections that no longer match. Each node checks its own connections, so this holds behind a
/// load balancer. The browser's reconnect is then refused: the hub re-checks the cookie whenever a
/// connection starts (see <see cref="AccountsExtensions"/>).
/// </summary>
public sealed class HubSessionCheck(HubSessions sessions, IServiceScopeFactory scopes, IOptions<QueueOptions> options, HelplineTime time, ILogger<HubSessionCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, not the app's clock: this bounds how long a revoked connection stays open.
        var interval = TimeSpan.FromSeconds(options.Value.ConnectionCheckSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await sessions.WaitForCheckAsync(interval, stoppingToken);
                await CheckAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Checking open hub connections against the staff accounts failed");
            }
        }
    }

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        var open = sessions.Open;
        if (open.Count == 0)
            return;
        var ids = open.Select(s => s.UserId).Distinct().ToList();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var accounts = await db.Users.AsNoTracking().Where(u => ids.Contains(u.Id))
            .Select(u => new
            {
                u.Id,
                u.SecurityStamp,
                u.DisabledAt,
                Roles = db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name!).ToList(),
            })
            .ToDictionaryAsync(a => a.Id, cancellationToken);

        var stale = open
            .Select(s => (Session: s, Reason: !accounts.TryGetValue(s.UserId, out var account) ? "account removed"
                : account.DisabledAt is not null ? "account disabled"
                : account.SecurityStamp != s.Stamp ? "security stamp changed (password or two-factor changed)"
                : HubSessions.RoleList(account.Roles) != s.Roles ? "roles changed"
                : null))
            .Where(s => s.Reason is not null)
            .ToList();
        if (stale.Count == 0)
            return;

        foreach (var user in stale.GroupBy(s => (s.Session.UserId, s.Session.UserName, s.Reason)))
        {
            var (userId, userName, reason) = user.Key;
            var count = user.Count();
            logger.LogWarning("Live queue updates closed for {Account} ({UserId}): {Reason}; {Connections} connection(s)",
                userName is { Length: > 0 } ? SignInLimits.Mask(userName) : "?", userId, reason, count);
            db.AuditEntries.Add(AuditEntry.ForAccount(time.UtcNow, "staff.live-updates-closed", userId, userName ?? "", $"{reason}; {count} connection(s)"));
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            // Audited first, so the entry is there when the dashboard notices; closed even if that failed.
            foreach (var (session, _) in stale)
                session.Connection.Abort();
        }
    }
}

/// <summary>
/// Every <see cref="QueueOptions.SignOutCheckSeconds"/> (and at once after a sign-out on this node),
/// looks up the sign-ins of this node's open hub connections by key, one indexed query, and closes the
/// connections whose sign-in is gone: signed out, on whichever node. Cheap enough to run every few
/// seconds, unlike the full account check above.
/// </summary>
public sealed class SignOutCheck(HubSessions sessions, IServiceScopeFactory scopes, IOptions<QueueOptions> options, HelplineTime time, ILogger<SignOutCheck> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Real time, not the app's clock: this bounds how long a signed-out connection stays open.
        var interval = TimeSpan.FromSeconds(options.Value.SignOutCheckSeconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await sessions.WaitForSignOutCheckAsync(interval, stoppingToken);
                await CheckAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Checking open hub connections against the sign-ins failed");
            }
        }
    }

    internal async Task CheckAsync(CancellationToken cancellationToken)
    {
        var open = sessions.Open.Where(s => s.SignInKey is not null).ToList();
        if (open.Count == 0)
            return;
        var keys = open.Select(s => s.SignInKey!).Distinct().ToList();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var current = (await db.StaffSignIns.AsNoTracking().Where(s => keys.Contains(s.Key)).Select(s => s.Key).ToListAsync(cancellationToken)).ToHashSet();
        var ended = open.Where(s => !current.Contains(s.SignInKey!)).ToList();
        if (ended.Count == 0)
            return;

        foreach (var user in ended.GroupBy(s => (s.UserId, s.UserName)))
        {
            var (userId, userName) = user.Key;
            logger.LogInformation("Live queue updates closed for {Account} ({UserId}): signed out; {Connections} connection(s)",
                userName is { Length: > 0 } ? SignInLimits.Mask(userName) : "?", userId, user.Count());
            db.AuditEntries.Add(AuditEntry.ForAccount(time.UtcNow, "staff.live-updates-closed", userId, userName ?? "", $"signed out; {user.Count()} connection(s)"));
        }
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            foreach (var session in ended)
                session.Connection.Abort();
        }
    }
}
