using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Helpline.Chat;

/// <summary>What the person's page gets on joining (and rejoining): where the chat stands and what they missed.</summary>
public sealed record ChatJoinView(ChatStatusView Status, IReadOnlyList<ChatMessageView> Messages);

/// <summary>What the person's page gets back for a message it sent.</summary>
public sealed record ChatSendView(SendOutcome Outcome, ChatMessageView? Message, string? Problem);

/// <summary>
/// The person's side of a web chat, at /hubs/chat. Anonymous to staff sign-in: a connection proves
/// which conversation it belongs to with a short-lived token (<see cref="ChatTokenAuthentication"/>),
/// never with the staff cookie, and reaches only that conversation. A new connection (a reload, a
/// reconnect) has no groups: <see cref="Join"/> adds it again and returns what it missed.
/// </summary>
[Authorize(Policy = ChatTokenAuthentication.PolicyName)]
public sealed class ChatHub(Conversations conversations, AdvisorChats chats) : Hub<IChatClient>
{
    private long ContactId => long.Parse(Context.User!.FindFirstValue(ChatTokenAuthentication.ContactClaim)!, System.Globalization.CultureInfo.InvariantCulture);

    public async Task<ChatJoinView> Join(int afterSequence)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, ChatNotifier.Group(ContactId));
        await conversations.SeenAsync(ContactId);
        var status = await conversations.StatusAsync(ContactId) ?? throw new HubException("This chat has ended.");
        return new ChatJoinView(status, await conversations.MessagesAsync(ContactId, Math.Max(0, afterSequence)));
    }

    /// <summary>Asked every 15 seconds while waiting: also tells the server the person is still there.</summary>
    public async Task<ChatStatusView> Status()
    {
        await conversations.SeenAsync(ContactId);
        return await conversations.StatusAsync(ContactId) ?? throw new HubException("This chat has ended.");
    }

    public async Task<ChatSendView> Send(string? clientMessageId, string? text)
    {
        var result = await conversations.SendAsync(ContactId, ChatSender.Person, null, clientMessageId, text);
        return new ChatSendView(result.Outcome, result.Message, result.Outcome switch
        {
            SendOutcome.Sent => null,
            SendOutcome.Empty => "Write a message first.",
            SendOutcome.TooLong => "That message is too long; send it in parts.",
            SendOutcome.TooFast => "You are sending messages very fast. Wait a moment, then send again.",
            _ => "This chat has ended.",
        });
    }

    /// <summary>The person is typing: the advisor sees it. At most one in two seconds per connection is passed on.</summary>
    public async Task Typing()
    {
        var now = Environment.TickCount64;
        if (Context.Items.TryGetValue("typing", out var last) && last is long at && now - at < 2000)
            return;
        Context.Items["typing"] = now;
        await chats.PersonTypingAsync(ContactId);
    }

    public Task Read(int sequence) => conversations.ReadAsync(ContactId, ChatSender.Person, sequence);

    public Task Leave() => conversations.LeaveAsync(ContactId);
}
