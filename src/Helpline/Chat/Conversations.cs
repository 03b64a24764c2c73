using Helpline.Accounts;
using Helpline.Audit;
using Helpline.Blocking;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Disclosure;
using Helpline.Infrastructure;
using Helpline.Messages;
using Helpline.Queue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Chat;

public sealed record ChatMessageView(long ContactId, int Sequence, ChatSender Sender, string Text, DateTime SentAt, string? ClientMessageId)
{
    /// <summary>A text sent to the person's phone: how far it has got. Null in a web chat and for what the person sent.</summary>
    public TextDelivery? Delivery { get; init; }

    public int? ErrorCode { get; init; }

    /// <summary>Pictures the person texted, each fetched through /api/conversations/{id}/media/{mediaId} (audited).</summary>
    public IReadOnlyList<MediaView> Media { get; init; } = [];
}

public sealed record MediaView(long Id, string ContentType);

/// <summary>What only a text that came through Twilio has: its SID and any media.</summary>
public sealed record TextIn(string Sid, IReadOnlyList<(string Url, string ContentType)> Media);

/// <summary>Where a conversation stands, as the person's page shows it.</summary>
public sealed record ChatStatusView(
    long ContactId,
    ContactStatus Status,
    int? Place,
    int? RecentWaitMinutes,
    bool AdvisorJoined,
    bool Ended,
    int ReadByAdvisor);

public enum StartOutcome { Started, TooMany, Closed, Blocked }

public sealed record StartResult(StartOutcome Outcome, long ContactId = 0, string? Secret = null);

public enum SendOutcome { Sent, Empty, TooLong, TooFast, Closed, OptedOut }

public sealed record SendResult(SendOutcome Outcome, ChatMessageView? Message = null);

/// <summary>
/// Web chats: opening one (a contact in the shared queue, channel Chat), its messages from either
/// side, and its end. The moves of the contact itself are <see cref="ContactTransitions"/>'; what the
/// person and the advisor are told is <see cref="ChatNotifier"/>'s. See docs/chat.md.
/// </summary>
public sealed class Conversations(
    HelplineDb db,
    QueueEvents events,
    ContactTransitions transitions,
    HelplineTime time,
    OpeningHours hours,
    RiskWords risk,
    ChatNotifier notifier,
    TextDeliveries deliveries,
    IOptions<ChatOptions> options,
    IOptions<DisclosureOptions> disclosure,
    ILogger<Conversations> logger)
{
    /// <summary>The statuses in which the person may still write.</summary>
    private static readonly ContactStatus[] PersonMayWrite = [ContactStatus.Waiting, ContactStatus.Connecting, ContactStatus.InProgress];

    /// <summary>
    /// Opens a chat: the person joins the shared queue now, in their language. Refused while the line
    /// is closed, or when the address opened too many chats in the last ten minutes.
    /// </summary>
    public async Task<StartResult> StartAsync(string? nickname, CallerLanguage language, string addressHash)
    {
        var now = time.UtcNow;
        if (!hours.IsOpen(now))
            return new StartResult(StartOutcome.Closed);
        // A supervisor blocked chats from this address (Blocking/): refused, with the crisis numbers.
        if (await db.BlockedNumbers.InForce(now).AnyAsync(b => b.PhoneHash == addressHash))
            return new StartResult(StartOutcome.Blocked);
        var since = now.AddMinutes(-10);
        if (await db.Conversations.CountAsync(c => c.AddressHash == addressHash && c.StartedAt > since) >= options.Value.StartsPerAddressPerTenMinutes)
            return new StartResult(StartOutcome.TooMany);

        var secret = ChatSecrets.NewSecret();
        var contact = NewContact(ContactChannel.Chat, language, now, disclosure.Value.Version);
        var conversation = new Conversation
        {
            Contact = contact,
            SecretHash = ChatSecrets.Hash(secret),
            Nickname = nickname,
            AddressHash = addressHash,
            StartedAt = now,
            LastSeenAt = now,
        };
        await events.CommitAsync(async () =>
        {
            db.Conversations.Add(conversation);
            await db.SaveChangesAsync();
            return [events.Record(QueueChangeKinds.ContactQueued, now, contact.Id)];
        });
        logger.LogInformation("Chat {ContactId} opened", contact.Id);
        return new StartResult(StartOutcome.Started, contact.Id, secret);
    }

    /// <summary>
    /// Opens a text conversation with a caller who texted the hotline: a contact with channel Sms in
    /// the shared queue, in <paramref name="language"/>. Two texts from one number at the same moment
    /// open one conversation: the thread key is unique, and the second reads the first's. Returns the
    /// conversation and whether this call opened it.
    /// </summary>
    public async Task<(long ContactId, bool Opened)> OpenTextAsync(long callerId, CallerLanguage language, string phoneHash, bool disclosed)
    {
        for (var tries = 0; ; tries++)
        {
            if (await OpenTextOfAsync(callerId) is { } open)
                return (open, false);
            var now = time.UtcNow;
            // Ended ones only: a conversation another text opened since the look above is not counted,
            // so this one gets the same thread, and the unique index sends it to that conversation.
            var earlier = await db.Contacts.CountAsync(c => c.CallerId == callerId && c.Channel == ContactChannel.Sms
                && !(PersonMayWrite.Contains(c.Status) && c.Conversation!.PersonLeftAt == null));
            var contact = NewContact(ContactChannel.Sms, language, now, disclosed ? disclosure.Value.Version : null);
            contact.CallerId = callerId;
            var conversation = new Conversation
            {
                Contact = contact,
                TextThread = FormattableString.Invariant($"{callerId}:{earlier}"),
                AddressHash = phoneHash,
                StartedAt = now,
                LastSeenAt = now,
            };
            try
            {
                await events.CommitAsync(async () =>
                {
                    db.Conversations.Add(conversation);
                    await db.SaveChangesAsync();
                    return [events.Record(QueueChangeKinds.ContactQueued, now, contact.Id)];
                });
                logger.LogInformation("Text conversation {ContactId} opened", contact.Id);
                return (contact.Id, true);
            }
            catch (DbUpdateException e) when (e.IsUniqueViolation() && tries < 3)
            {
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>The caller's text conversation still open (waiting or under way), if any.</summary>
    public Task<long?> OpenTextOfAsync(long callerId) =>
        db.Contacts.Where(c => c.CallerId == callerId && c.Channel == ContactChannel.Sms && PersonMayWrite.Contains(c.Status) && c.Conversation!.PersonLeftAt == null)
            .OrderByDescending(c => c.Id).Select(c => (long?)c.Id).FirstOrDefaultAsync();

    /// <summary>
    /// A text the helpline itself sends to the person's phone (the acknowledgement of a new text
    /// conversation): kept in the transcript, then handed to Twilio like an advisor's reply.
    /// </summary>
    public async Task TextFromHelplineAsync(long contactId, string text)
    {
        var now = time.UtcNow;
        ChatMessage? stored = null;
        await events.CommitAsync(async () =>
        {
            stored = await AppendAsync(contactId, ChatSender.System, null, null, text, now, sinceQueued: 0, texting: true);
            return [];
        });
        await deliveries.DeliverAsync(stored!.Id);
    }

    private Contact NewContact(ContactChannel channel, CallerLanguage language, DateTime now, string? disclosureVersion)
    {
        var stamp = time.Stamp(now);
        return new Contact
        {
            Channel = channel,
            Status = ContactStatus.Waiting,
            QueuedAt = now,
            Language = language,
            DisclosureVersion = disclosureVersion,
            CreatedAt = now,
            UpdatedAt = now,
            LocalDate = stamp.Date,
            LocalHour = stamp.Hour,
            LocalDayOfWeek = stamp.DayOfWeek,
        };
    }

    /// <summary>
    /// The conversation a secret opens, while it may still be resumed: the person has not left and it
    /// is still open (waiting or under way). An ended chat opens nothing more, so a tab restored later
    /// shows no transcript.
    /// </summary>
    public async Task<long?> ResumableAsync(string secret)
    {
        if (await OfSecretAsync(secret) is not { } contactId)
            return null;
        var open = await db.Contacts.AnyAsync(c => c.Id == contactId && PersonMayWrite.Contains(c.Status));
        return open ? contactId : null;
    }

    /// <summary>The conversation a secret belongs to, unless the person left it.</summary>
    public async Task<long?> OfSecretAsync(string secret)
    {
        if (!ChatSecrets.LooksLikeSecret(secret))
            return null;
        var hash = ChatSecrets.Hash(secret);
        var found = await db.Conversations.AsNoTracking().Where(c => c.SecretHash == hash)
            .Select(c => new { c.ContactId, c.PersonLeftAt }).SingleOrDefaultAsync();
        return found is null || found.PersonLeftAt is not null ? null : found.ContactId;
    }

    /// <summary>
    /// The person is still there (a connection, a token, a poll, typing): when they were last seen is
    /// written at most once a minute.
    /// </summary>
    public Task SeenAsync(long contactId)
    {
        var now = time.UtcNow;
        var minuteAgo = now.AddMinutes(-1);
        return db.Conversations.Where(c => c.ContactId == contactId && c.PersonLeftAt == null && c.LastSeenAt < minuteAgo)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastSeenAt, now));
    }

    public async Task<ChatStatusView?> StatusAsync(long contactId)
    {
        var found = await db.Contacts.AsNoTracking().Where(c => c.Id == contactId && c.Channel == ContactChannel.Chat)
            .Select(c => new { c.Id, c.Status, c.Priority, c.QueuedAt, c.Language, c.AdvisorId, Read = c.Conversation!.ReadByAdvisor })
            .SingleOrDefaultAsync();
        if (found is null)
            return null;
        int? place = null;
        int? recentWait = null;
        if (found.Status == ContactStatus.Waiting)
        {
            // Ahead in line: the queue's own order (priority, then time, then id), in the same language.
            place = 1 + await db.Contacts.CountAsync(c => c.Status == ContactStatus.Waiting && c.QueueExit == QueueExit.None && c.Language == found.Language && c.Id != found.Id
                && (c.Priority > found.Priority || (c.Priority == found.Priority && (c.QueuedAt < found.QueuedAt || (c.QueuedAt == found.QueuedAt && c.Id < found.Id)))));
            var since = time.UtcNow.AddHours(-2);
            var waits = await db.Contacts.Where(c => c.AnsweredAt > since && c.WaitSeconds != null && c.Language == found.Language)
                .Select(c => c.WaitSeconds!.Value).ToListAsync();
            if (waits.Count > 0)
                recentWait = Math.Max(1, (int)Math.Round(waits.Average() / 60.0));
        }
        var ended = found.Status is not (ContactStatus.Waiting or ContactStatus.Connecting or ContactStatus.InProgress);
        return new ChatStatusView(found.Id, found.Status, place, recentWait, found.AdvisorId is not null, ended, found.Read);
    }

    /// <summary>Messages after <paramref name="afterSequence"/>, oldest first: what a screen that saw up to it has missed.</summary>
    public async Task<List<ChatMessageView>> MessagesAsync(long contactId, int afterSequence)
    {
        var messages = await db.ChatMessages.AsNoTracking().Include(m => m.Media)
            .Where(m => m.ContactId == contactId && m.Sequence > afterSequence)
            .OrderBy(m => m.Sequence)
            .ToListAsync();
        return [.. messages.Select(View)];
    }

    /// <summary>
    /// Stores a message and tells both sides. The person may write while waiting and while talking;
    /// the advisor only while the conversation is theirs and going on. A message resent with the same
    /// <paramref name="clientMessageId"/> (a chat) or <see cref="TextIn.Sid"/> (a text Twilio delivered
    /// twice) is stored once and answered with the first copy. In a text conversation the advisor's
    /// message then goes to the person's phone (<see cref="TextDeliveries"/>).
    /// </summary>
    public async Task<SendResult> SendAsync(long contactId, ChatSender sender, string? advisorId, string? clientMessageId, string? text, TextIn? texted = null)
    {
        var body = Clean(text);
        var channel = await db.Contacts.Where(c => c.Id == contactId).Select(c => (ContactChannel?)c.Channel).SingleOrDefaultAsync();
        if (body.Length == 0 && texted is not { Media.Count: > 0 })
            return new SendResult(SendOutcome.Empty);
        if (body.Length > MaxLength(channel, sender))
            return new SendResult(SendOutcome.TooLong);
        clientMessageId = ValidClientId(clientMessageId);
        if (await ExistingAsync(contactId, clientMessageId, texted?.Sid) is { } resent)
            return new SendResult(SendOutcome.Sent, resent);
        var now = time.UtcNow;
        if (sender == ChatSender.Person && channel == ContactChannel.Chat && await TooFastAsync(contactId, now))
            return new SendResult(SendOutcome.TooFast);
        if (sender == ChatSender.Advisor && channel == ContactChannel.Sms && await deliveries.OptedOutAsync(contactId))
            return new SendResult(SendOutcome.OptedOut);

        ChatMessage? stored = null;
        string? contactAdvisor = null;
        try
        {
            await events.CommitAsync(async () =>
            {
                var contact = await db.Contacts.AsNoTracking().Where(c => c.Id == contactId && ContactChannels.Written.Contains(c.Channel))
                    .Select(c => new { c.Status, c.AdvisorId, c.QueuedAt, c.Conversation!.PersonLeftAt, c.Conversation.RiskRaisedAt }).SingleOrDefaultAsync();
                var open = contact is not null && contact.PersonLeftAt is null && (sender == ChatSender.Person
                    ? PersonMayWrite.Contains(contact.Status)
                    : contact.Status == ContactStatus.InProgress && (sender == ChatSender.System || contact.AdvisorId == advisorId));
                if (!open)
                    return null;
                contactAdvisor = contact!.AdvisorId;
                var sinceQueued = contact.QueuedAt is { } queued ? (int)Math.Clamp((now - queued).TotalMilliseconds, 0, int.MaxValue) : 0;
                var texting = sender == ChatSender.Advisor && channel == ContactChannel.Sms;
                stored = await AppendAsync(contactId, sender, sender == ChatSender.Advisor ? advisorId : null, clientMessageId, body, now, sinceQueued, texted, texting);
                if (sender == ChatSender.Person && contact.Status == ContactStatus.Waiting && contact.RiskRaisedAt is null && await RaiseIfAtRiskAsync(contactId, body, now) is { } raised)
                    return [raised];
                return [];
            });
        }
        catch (DbUpdateException) when (clientMessageId is not null || texted is not null)
        {
            // The same message arrived twice at once (a resend over a second connection, a webhook Twilio repeated): the first stays.
            db.ChangeTracker.Clear();
            return await ExistingAsync(contactId, clientMessageId, texted?.Sid) is { } raced ? new SendResult(SendOutcome.Sent, raced) : throw new InvalidOperationException("A message could not be stored.");
        }
        if (stored is null)
            return new SendResult(SendOutcome.Closed);
        await notifier.MessageAsync(View(stored), contactAdvisor);
        if (stored.Delivery is not null)
            await deliveries.DeliverAsync(stored.Id);
        return new SendResult(SendOutcome.Sent, await ViewAsync(stored.Id));
    }

    /// <summary>A chat message may be as long as the chat allows; a text, as long as Twilio takes.</summary>
    private int MaxLength(ContactChannel? channel, ChatSender sender) => channel switch
    {
        // What the person texted is kept whole, whatever the chat's own limit: Twilio delivers up to 1,600 characters.
        ContactChannel.Sms when sender == ChatSender.Person => Math.Max(SmsSegments.MaxLength, options.Value.MaxMessageLength),
        ContactChannel.Sms => Math.Min(SmsSegments.MaxLength, options.Value.MaxMessageLength),
        _ => options.Value.MaxMessageLength,
    };

    /// <summary>
    /// The advisor ends the conversation, after their closing message if they wrote one: the person is
    /// told it has ended and the advisor goes on to wrap-up.
    /// </summary>
    public async Task<bool> EndAsync(long contactId, string advisorId, string? closingMessage)
    {
        if (!string.IsNullOrWhiteSpace(closingMessage))
            await SendAsync(contactId, ChatSender.Advisor, advisorId, null, closingMessage);
        if (!await transitions.EndChatAsync(contactId, advisorId))
            return false;
        await SystemMessageAsync(contactId, (await SystemTextAsync(contactId)).Ended);
        await notifier.StatusAsync(await StatusAsync(contactId));
        return true;
    }

    /// <summary>
    /// Hands a chat under way to another advisor (see <see cref="ContactTransitions.TransferChatAsync"/>);
    /// the person is told, and the new advisor finds it under "My chats".
    /// </summary>
    public async Task<ChatClaim> TransferAsync(long contactId, string fromAdvisorId, string toAdvisorId, AdvisorLanguages toLanguages)
    {
        CallerLanguage[] languages = [.. new[] { CallerLanguage.English, CallerLanguage.Spanish }.Where(l => toLanguages.HasFlag(l.ToAdvisorLanguage()))];
        var outcome = await transitions.TransferChatAsync(contactId, fromAdvisorId, toAdvisorId, languages, options.Value.MaxConversationsPerAdvisor);
        if (outcome == ChatClaim.Taken)
        {
            await SystemMessageAsync(contactId, (await SystemTextAsync(contactId)).Transferred);
            logger.LogInformation("Chat {ContactId} transferred to advisor {AdvisorId}", contactId, toAdvisorId);
        }
        return outcome;
    }

    /// <summary>
    /// The person leaves (the Leave button, the quick exit): a waiting chat is abandoned; one under way
    /// goes to its advisor's wrap-up, and the advisor is told. The secret opens nothing afterwards.
    /// </summary>
    public async Task LeaveAsync(long contactId, string? note = null)
    {
        var now = time.UtcNow;
        await db.Conversations.Where(c => c.ContactId == contactId && c.PersonLeftAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.PersonLeftAt, now));
        // A waiting chat is abandoned, unless an advisor took it meanwhile: then it is ended with
        // whoever holds it now (a transfer may have moved it), and they are told.
        for (var tries = 0; tries < 3 && !await transitions.AbandonChatAsync(contactId); tries++)
        {
            var holder = await db.Contacts.Where(c => c.Id == contactId && c.Status == ContactStatus.InProgress).Select(c => c.AdvisorId).SingleOrDefaultAsync();
            if (holder is null)
                break;
            if (await transitions.EndChatAsync(contactId, holder))
            {
                await SystemMessageAsync(contactId, note ?? (await SystemTextAsync(contactId)).PersonLeft);
                break;
            }
        }
        if (await StatusAsync(contactId) is { } view)
            await notifier.StatusAsync(view);
        logger.LogInformation("Chat {ContactId}: the person left", contactId);
    }

    /// <summary>The advisor took the chat: the person is told someone has joined.</summary>
    public async Task JoinedAsync(long contactId)
    {
        await SystemMessageAsync(contactId, (await SystemTextAsync(contactId)).Joined);
        await notifier.StatusAsync(await StatusAsync(contactId));
    }

    /// <summary>One side has read up to <paramref name="sequence"/>; the other side's screen says so.</summary>
    public async Task ReadAsync(long contactId, ChatSender reader, int sequence)
    {
        if (reader == ChatSender.Person)
            await db.Conversations.Where(c => c.ContactId == contactId && c.ReadByPerson < sequence && c.LastSequence >= sequence)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.ReadByPerson, sequence));
        else
            await db.Conversations.Where(c => c.ContactId == contactId && c.ReadByAdvisor < sequence && c.LastSequence >= sequence)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.ReadByAdvisor, sequence));
        var advisor = await db.Contacts.Where(c => c.Id == contactId).Select(c => c.AdvisorId).SingleOrDefaultAsync();
        await notifier.ReadAsync(contactId, reader, sequence, advisor);
    }

    /// <summary>
    /// What the helpline says in this conversation: in a web chat both sides read it, in the chat's
    /// language; in a text conversation only staff do (it is never texted), so it is in English.
    /// </summary>
    private async Task<SystemText> SystemTextAsync(long contactId)
    {
        var found = await db.Contacts.Where(c => c.Id == contactId).Select(c => new { c.Channel, c.Language }).SingleAsync();
        return found.Channel == ContactChannel.Sms ? SystemText.Texts : SystemText.For(found.Language);
    }

    private async Task SystemMessageAsync(long contactId, string text)
    {
        var now = time.UtcNow;
        ChatMessage? stored = null;
        await events.CommitAsync(async () =>
        {
            stored = await AppendAsync(contactId, ChatSender.System, null, null, text, now, sinceQueued: 0);
            return [];
        });
        var advisor = await db.Contacts.Where(c => c.Id == contactId).Select(c => c.AdvisorId).SingleOrDefaultAsync();
        await notifier.MessageAsync(View(stored!), advisor);
    }

    /// <summary>
    /// Inside a write transaction: takes the conversation's next number (the update locks its row) and
    /// adds the message. The same update notes the person as seen, or the advisor's first reply and
    /// how long after joining the queue (<paramref name="sinceQueued"/>) it came.
    /// </summary>
    private async Task<ChatMessage> AppendAsync(long contactId, ChatSender sender, string? advisorId, string? clientMessageId, string body, DateTime now, int sinceQueued,
        TextIn? texted = null, bool texting = false)
    {
        var person = sender == ChatSender.Person;
        var advisor = sender == ChatSender.Advisor;
        await db.Conversations.Where(c => c.ContactId == contactId).ExecuteUpdateAsync(s => s
            .SetProperty(c => c.LastSequence, c => c.LastSequence + 1)
            .SetProperty(c => c.LastSeenAt, c => person ? now : c.LastSeenAt)
            .SetProperty(c => c.FirstReplyMilliseconds, c => advisor && c.FirstReplyAt == null ? sinceQueued : c.FirstReplyMilliseconds)
            .SetProperty(c => c.FirstReplyAt, c => advisor && c.FirstReplyAt == null ? now : c.FirstReplyAt));
        var sequence = await db.Conversations.Where(c => c.ContactId == contactId).Select(c => c.LastSequence).SingleAsync();
        var message = new ChatMessage
        {
            ContactId = contactId, Sequence = sequence, Sender = sender, AdvisorId = advisorId, ClientMessageId = clientMessageId, Body = body, SentAt = now,
            ProviderSid = texted?.Sid,
            Delivery = texting ? TextDelivery.Saved : null,
            Media = [.. (texted?.Media ?? []).Select(m => new MessageMedia { ContactId = contactId, Url = m.Url, ContentType = m.ContentType })],
        };
        db.ChatMessages.Add(message);
        await db.SaveChangesAsync();
        return message;
    }

    /// <summary>
    /// Inside the message's transaction: words of immediate danger in a waiting chat raise it to
    /// Urgent, with the words kept to show why, and the raise audited. Returns the queue change.
    /// </summary>
    private async Task<QueueChange?> RaiseIfAtRiskAsync(long contactId, string body, DateTime now)
    {
        var found = await risk.FindAsync(db, body);
        if (found.Count == 0)
            return null;
        var reason = string.Join(", ", found);
        if (reason.Length > 200)
            reason = reason[..200];
        await db.Conversations.Where(c => c.ContactId == contactId && c.RiskRaisedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.RiskReason, reason).SetProperty(c => c.RiskRaisedAt, now));
        await db.Contacts.Where(c => c.Id == contactId && c.Status == ContactStatus.Waiting)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Priority, ContactPriority.Urgent).SetProperty(c => c.UpdatedAt, now));
        db.AuditEntries.Add(new AuditEntry { At = now, Action = "chat.risk-raised", ContactId = contactId, Details = $"raised to Urgent for: {reason}" });
        logger.LogWarning("Chat {ContactId} raised to Urgent by its risk words", contactId);
        return events.Record(QueueChangeKinds.ContactUpdated, now, contactId);
    }

    private async Task<bool> TooFastAsync(long contactId, DateTime now)
    {
        var since = now.AddMinutes(-1);
        if (await db.ChatMessages.CountAsync(m => m.ContactId == contactId && m.Sender == ChatSender.Person && m.SentAt > since) >= options.Value.PersonMessagesPerMinute)
            return true;
        var address = await db.Conversations.Where(c => c.ContactId == contactId).Select(c => c.AddressHash).SingleOrDefaultAsync();
        // The address's conversations that wrote in the last minute (writing keeps LastSeenAt fresh), then their messages.
        var active = db.Conversations.Where(c => c.AddressHash == address && c.LastSeenAt > since).Select(c => c.ContactId);
        var fromAddress = await db.ChatMessages.CountAsync(m => active.Contains(m.ContactId) && m.Sender == ChatSender.Person && m.SentAt > since);
        return fromAddress >= options.Value.AddressMessagesPerMinute;
    }

    /// <summary>The message already stored under the sender's id for it, or Twilio's, if any.</summary>
    private async Task<ChatMessageView?> ExistingAsync(long contactId, string? clientMessageId, string? providerSid)
    {
        if (providerSid is not null)
            return await db.ChatMessages.AsNoTracking().Include(m => m.Media).Where(m => m.ProviderSid == providerSid).SingleOrDefaultAsync() is { } texted ? View(texted) : null;
        if (clientMessageId is null)
            return null;
        return await db.ChatMessages.AsNoTracking().Include(m => m.Media).Where(m => m.ContactId == contactId && m.ClientMessageId == clientMessageId).SingleOrDefaultAsync() is { } m ? View(m) : null;
    }

    private async Task<ChatMessageView> ViewAsync(long messageId) =>
        View(await db.ChatMessages.AsNoTracking().Include(m => m.Media).SingleAsync(m => m.Id == messageId));

    internal static ChatMessageView View(ChatMessage m) => new(m.ContactId, m.Sequence, m.Sender, m.Body ?? "", m.SentAt, m.ClientMessageId)
    {
        Delivery = m.Delivery,
        ErrorCode = m.ErrorCode,
        Media = [.. m.Media.OrderBy(x => x.Id).Select(x => new MediaView(x.Id, x.ContentType))],
    };

    /// <summary>Trimmed, line ends made "\n", and no control characters but the line end and tab.</summary>
    internal static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var normalized = text.Replace("\r\n", "\n").Replace('\r', '\n');
        return new string([.. normalized.Where(c => c is '\n' or '\t' || !char.IsControl(c))]).Trim();
    }

    /// <summary>A client's message id: up to 64 letters, digits, '-' or '_'; anything else is ignored (the message is still taken).</summary>
    private static string? ValidClientId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? id : null;
}
