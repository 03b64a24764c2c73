using Helpline.Contacts;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Chat;

/// <summary>Typing signs between a conversation's two sides, each passed on only to the other side of a chat under way.</summary>
public sealed class AdvisorChats(HelplineDb db, ChatNotifier notifier)
{
    public async Task PersonTypingAsync(long contactId)
    {
        var advisor = await db.Contacts.Where(c => c.Id == contactId && c.Status == ContactStatus.InProgress).Select(c => c.AdvisorId).SingleOrDefaultAsync();
        if (advisor is not null)
            await notifier.PersonTypingAsync(contactId, advisor);
    }

    public async Task TypingAsync(string? advisorId, long contactId)
    {
        if (advisorId is not null && await db.Contacts.AnyAsync(c => c.Id == contactId && c.Channel == ContactChannel.Chat && c.Status == ContactStatus.InProgress && c.AdvisorId == advisorId))
            await notifier.AdvisorTypingAsync(contactId);
    }
}
