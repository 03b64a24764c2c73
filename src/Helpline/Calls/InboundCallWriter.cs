using System.Threading.Channels;
using Helpline.Audit;
using Helpline.Contacts;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Calls;

/// <summary>
/// Group commit for the inbound-call webhook on SQLite. Webhooks that arrive while a write is under
/// way queue here; one loop writes all of them (each caller found by the blind index of their number
/// or created, each contact inserted) in one write transaction, commits once, and only then answers
/// each request with its own contact. SQLite has one write lock and syncs the file at every commit,
/// so a burst of calls otherwise waited in line for one sync each; now they share it.
/// </summary>
/// <remarks>
/// A CallSid already stored, or twice in one batch (Twilio retrying), is answered with the contact
/// written first. If the batch fails for any other reason, it is rolled back and every call in it is
/// written again in a transaction of its own, so a call the database refuses fails alone and the
/// others still commit. PostgreSQL does not come here: its row locks let webhooks write side by side
/// (see <see cref="VoiceApi"/>).
/// </remarks>
public sealed class InboundCallWriter(IServiceScopeFactory scopes, ILogger<InboundCallWriter> log) : BackgroundService
{
    /// <summary>Enough to cover every webhook that can pile up behind one commit, small enough to keep a transaction short.</summary>
    private const int MaxBatch = 64;

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();

    /// <summary>What a request hands over: the contact to insert (built afresh for each attempt) and the caller's number.</summary>
    /// <param name="CallSid">Twilio's id of the call, unique among contacts.</param>
    /// <param name="NewContact">Builds the contact row; called again if a batch has to be written a second time.</param>
    /// <param name="Number">The caller's callable E.164 number, or null when withheld.</param>
    /// <param name="CallerName">Twilio's caller name, for a caller not known yet.</param>
    /// <param name="CallerTimeZone">The time zone of a caller not known yet.</param>
    /// <param name="Now">When the webhook arrived: what "blocked right now" is measured against.</param>
    public sealed record InboundCall(string CallSid, Func<Contact> NewContact, string? Number, string? CallerName, string CallerTimeZone, DateTime Now);

    /// <summary>The committed contact. <paramref name="Created"/>: this request inserted it, and its number was checked against the blocked list in the same transaction.</summary>
    public sealed record Written(Contact Contact, bool Created);

    /// <summary>Batches written, for tests that show calls arriving together share one.</summary>
    internal long Batches => Interlocked.Read(ref _batches);

    private long _batches;

    /// <summary>Calls queued or being written and not answered yet, for tests.</summary>
    internal int Unanswered => Volatile.Read(ref _unanswered);

    private int _unanswered;

    /// <summary>Queues the call; the task ends once its contact is committed. False once the app is stopping.</summary>
    public bool TryWrite(InboundCall call, out Task<Written> written)
    {
        var pending = new Pending(call);
        written = pending.Done.Task;
        Interlocked.Increment(ref _unanswered);
        if (_pending.Writer.TryWrite(pending))
            return true;
        Interlocked.Decrement(ref _unanswered);
        return false;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Not stoppingToken: calls already queued are written and answered before the app stops;
        // StopAsync closes the queue to new ones and the loop ends when it is empty.
        var reader = _pending.Reader;
        var batch = new List<Pending>(MaxBatch);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var pending))
                batch.Add(pending);
            await WriteAsync(batch);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _pending.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    /// <summary>
    /// Writes the batch in one transaction; if that fails, each call again in a transaction of its own,
    /// so a call the database refuses fails alone. Never throws: every call is answered.
    /// </summary>
    private async Task WriteAsync(IReadOnlyList<Pending> batch, bool again = false)
    {
        try
        {
            var written = await WriteInOneTransactionAsync(batch);
            Interlocked.Increment(ref _batches);
            // Only now, after the commit, does any request hear about its contact.
            for (var i = 0; i < batch.Count; i++)
                Answer(batch[i], written[i], null);
        }
        catch (Exception e) when (batch.Count > 1)
        {
            log.LogInformation(e, "Writing {Count} inbound calls together failed; writing each on its own", batch.Count);
            foreach (var pending in batch)
                await WriteAsync([pending]);
        }
        catch (DbUpdateException e) when (!again && e.IsUniqueViolation())
        {
            // The caller's number, stored by a writer in another process between the lookup and the
            // insert: once more, and the lookup finds that caller.
            await WriteAsync(batch, again: true);
        }
        catch (Exception e)
        {
            Answer(batch[0], null, e);
        }
    }

    private void Answer(Pending pending, Written? written, Exception? error)
    {
        Interlocked.Decrement(ref _unanswered);
        if (error is not null)
            pending.Done.TrySetException(error);
        else
            pending.Done.TrySetResult(written!);
    }

    /// <summary>
    /// The whole batch in one transaction, with a few set-wise statements: one lookup of the CallSids
    /// already stored (Twilio retries), one of the callers by blind index, one of the blocked numbers,
    /// then the inserts in one save.
    /// </summary>
    private async Task<Written[]> WriteInOneTransactionAsync(IReadOnlyList<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        // A failure rolls the whole transaction back and the calls are written again one by one, so
        // EF's savepoint around each save would only be two more statements inside the write lock.
        db.Database.AutoSavepointsEnabled = false;
        await db.Database.OpenConnectionAsync();
        await using var transaction = await db.Database.BeginWriteTransactionAsync();

        var callSids = batch.Select(p => p.Call.CallSid).Distinct().ToList();
        var stored = await db.Contacts.AsNoTracking().Where(c => callSids.Contains(c.CallSid!)).ToDictionaryAsync(c => c.CallSid!, StringComparer.Ordinal);
        var hashes = batch.Where(p => p.Call.Number is not null).Select(p => db.Protector.BlindIndex(p.Call.Number!)).Distinct().ToList();
        var callers = hashes.Count == 0
            ? []
            : await db.Callers.Where(c => hashes.Contains(c.PhoneHash!)).ToDictionaryAsync(c => c.PhoneHash!, StringComparer.Ordinal);
        var now = batch.Max(p => p.Call.Now);
        var blocked = await Blocking.BlockedNumbers.BlockedAmongHashesAsync(db, hashes, now);

        var written = new Written[batch.Count];
        var created = new Dictionary<string, Contact>(StringComparer.Ordinal);
        var refused = new List<Contact>();
        for (var i = 0; i < batch.Count; i++)
        {
            var call = batch[i].Call;
            if (stored.TryGetValue(call.CallSid, out var existing) || created.TryGetValue(call.CallSid, out existing))
            {
                log.LogInformation("Inbound call {CallSid} was recorded by a request at the same moment (a Twilio retry); using that contact", call.CallSid);
                written[i] = new Written(existing, Created: false);
                continue;
            }
            var contact = NewContact(db, call, callers, blocked);
            if (contact.Status == ContactStatus.Blocked)
                refused.Add(contact);
            db.Contacts.Add(contact);
            created[call.CallSid] = contact;
            written[i] = new Written(contact, Created: true);
        }
        await db.SaveChangesAsync();
        if (refused.Count > 0)
        {
            db.AuditEntries.AddRange(refused.Select(c => new AuditEntry { At = c.UpdatedAt, Action = "call.blocked", ContactId = c.Id, Details = "the number is blocked; not queued" }));
            await db.SaveChangesAsync();
        }
        await transaction.CommitAsync();
        return written;
    }

    /// <summary>
    /// The call's contact, with its caller (one already stored, one new in this batch, or a new one).
    /// A blocked number's contact is stored already refused, so it never reaches the queue.
    /// </summary>
    private static Contact NewContact(HelplineDb db, InboundCall call, Dictionary<string, Caller> callers, IReadOnlySet<string> blocked)
    {
        var contact = call.NewContact();
        if (call.Number is not { } number)
            return contact;
        var hash = db.Protector.BlindIndex(number);
        if (!callers.TryGetValue(hash, out var caller))
        {
            caller = new Caller
            {
                PhoneHash = hash,
                PhoneNumber = number,
                Name = call.CallerName,
                TimeZone = call.CallerTimeZone,
                Language = CallerLanguage.English,
                CreatedAt = call.Now,
            };
            callers[hash] = caller;
        }
        contact.Caller = caller;
        if (blocked.Contains(hash))
        {
            contact.Status = ContactStatus.Blocked;
            contact.EndedAt = call.Now;
            contact.UpdatedAt = call.Now;
        }
        return contact;
    }

    private sealed class Pending(InboundCall call)
    {
        public InboundCall Call { get; } = call;

        // Answered from the writer's loop: the request's own work must not run on it.
        public TaskCompletionSource<Written> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

}
