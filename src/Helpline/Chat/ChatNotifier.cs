using Helpline.Queue;
using Microsoft.AspNetCore.SignalR;

namespace Helpline.Chat;

/// <summary>What the server pushes to the person chatting, at /hubs/chat.</summary>
public interface IChatClient
{
    Task Message(ChatMessageView message);
    Task Status(ChatStatusView status);
    Task Typing();
    /// <summary>The advisor has read up to this message.</summary>
    Task Read(int sequence);
}

/// <summary>
/// Tells both sides of a conversation what happened: the person through their conversation's group on
/// the chat hub, the advisor through their own user on the staff hub. With Redis, either may be
/// connected to any node.
/// </summary>
public sealed class ChatNotifier(IHubContext<ChatHub, IChatClient> people, IHubContext<QueueHub, IQueueClient> staff, ILogger<ChatNotifier> logger)
{
    public static string Group(long contactId) => $"chat-{contactId}";

    public Task MessageAsync(ChatMessageView message, string? advisorId) => BothAsync(
        people.Clients.Group(Group(message.ContactId)).Message(message),
        advisorId is null ? Task.CompletedTask : staff.Clients.User(advisorId).ChatMessage(message));

    public async Task StatusAsync(ChatStatusView? status)
    {
        if (status is not null)
            await BothAsync(people.Clients.Group(Group(status.ContactId)).Status(status));
    }

    /// <summary>A text the advisor sent moved on (sent, delivered, failed…): their screen shows it by the message.</summary>
    public Task DeliveryAsync(Messages.TextDeliveryView delivery, string advisorId) => BothAsync(staff.Clients.User(advisorId).TextDelivery(delivery));

    public Task PersonTypingAsync(long contactId, string advisorId) => BothAsync(staff.Clients.User(advisorId).ChatTyping(contactId));

    public Task AdvisorTypingAsync(long contactId) => BothAsync(people.Clients.Group(Group(contactId)).Typing());

    public Task ReadAsync(long contactId, ChatSender reader, int sequence, string? advisorId) => reader == ChatSender.Person
        ? (advisorId is null ? Task.CompletedTask : BothAsync(staff.Clients.User(advisorId).ChatRead(contactId, sequence)))
        : BothAsync(people.Clients.Group(Group(contactId)).Read(sequence));

    /// <summary>
    /// A push that fails (Redis down) is logged, never thrown: the message is stored, and each screen
    /// fetches what it missed when it reconnects or polls.
    /// </summary>
    private async Task BothAsync(params Task[] pushes)
    {
        try
        {
            await Task.WhenAll(pushes);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not push a chat update; screens catch up when they reconnect");
        }
    }
}
