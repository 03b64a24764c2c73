using Helpline.Contacts;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

/// <summary>
/// Once a minute, a waiting chat whose page has not been heard from for <see cref="ChatOptions.ResumeMinutes"/>
/// (the tab was closed, the phone put away) is taken as left: it leaves the queue, so no advisor takes
/// a chat with nobody there. Every node may run it; leaving is a conditional update, so a chat is left once.
/// Text conversations are not swept: a phone holds its texts, so the person reads a reply whenever it comes.
/// </summary>
public sealed class ChatSweeper(IServiceScopeFactory scopes, IOptions<ChatOptions> options, TimeProvider clock, ILogger<ChatSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A delay after each sweep, not a periodic timer: sweeps missed while the clock jumped are not made up one by one.
        while (!stoppingToken.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMinutes(1), clock, stoppingToken);
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Could not look for chats their people left");
            }
        }
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var conversations = scope.ServiceProvider.GetRequiredService<Conversations>();
        var silentSince = clock.GetUtcNow().UtcDateTime.AddMinutes(-options.Value.ResumeMinutes);
        var gone = await db.Conversations
            .Where(c => c.PersonLeftAt == null && c.LastSeenAt < silentSince && c.Contact!.Status == ContactStatus.Waiting && c.Contact.Channel == ContactChannel.Chat)
            .OrderBy(c => c.ContactId).Select(c => c.ContactId).Take(200).ToListAsync(cancellationToken);
        foreach (var contactId in gone)
            await conversations.LeaveAsync(contactId);
        return gone.Count;
    }
}
