using System.Threading.Channels;
using Helpline.Audit;
using Helpline.Contacts;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Helpline.Calls;

/// <summary>
/// Group commit for the inbound-call webhook on SQLite. Webhooks that arrive while a write is under
/// way queue here; one loop writes all of them (each caller found by the blind index of their number
/// or created, each contact inserted) in one write transaction, commits once, and only then answers
/// each request with its own contact. SQLite has one write lock and syncs the file at every commit,
/// so a burst of calls otherwise waited in line for one sync each; now they share it.
/// </summary>
/// <remarks>
/// Each call is written under its own savepoint: a CallSid already stored (a Twilio retry, possibly
/// in the same batch) or any other refusal rolls back that call alone and the others commit. If the
/// batch as a whole fails (the commit, or an error that ends SQLite's transaction), every call in it
/// is written again on its own, so one bad call never fails the others. PostgreSQL does not come
/// here: its row locks let webhooks write side by side (see <see cref="VoiceApi"/>).
/// </remarks>
public sealed class InboundCallWriter(IServiceScopeFactory scopes, ILogger<InboundCallWriter> log) : BackgroundService
{
    /// <summary>Enough to cover every webhook that can pile up behind one commit, small enough to keep a transaction short.</summary>
    private const int MaxBatch = 64;

    private const string Savepoint = "inbound_call";

    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();

    /// <summary>What a request hands over: the contact to insert (built afresh for each attempt) and the caller's number.</summary>
    /// <param name="NewContact">Builds the contact row; called again if a batch has to be written a second time.</param>
    /// <param name="Number">The caller's callable E.164 number, or null when withheld.</param>
    /// <param name="CallerName">Twilio's caller name, for a caller not known yet.</param>
    /// <param name="CallerTimeZone">The time zone of a caller not known yet.</param>
    /// <param name="Now">When the webhook arrived: what "blocked right now" is measured against.</param>
    public sealed record InboundCall(Func<Contact> NewContact, string? Number, string? CallerName, string CallerTimeZone, DateTime Now);

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

    /// <summary>Writes the batch in one transaction, or each call alone if that fails. Never throws: every call is answered.</summary>
    private async Task WriteAsync(IReadOnlyList<Pending> batch)
    {
        try
        {
            var outcomes = await WriteInOneTransactionAsync(batch);
            Interlocked.Increment(ref _batches);
            // Only now, after the commit, does any request hear about its contact.
            for (var i = 0; i < batch.Count; i++)
            {
                if (outcomes[i].Error is { } error)
                    Answer(batch[i], null, error);
                else
                    Answer(batch[i], outcomes[i].Written, null);
            }
        }
        catch (Exception e) when (batch.Count > 1)
        {
            log.LogWarning(e, "Writing {Count} inbound calls together failed; writing each on its own", batch.Count);
            foreach (var pending in batch)
                await WriteAsync([pending]);
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

    private async Task<Outcome[]> WriteInOneTransactionAsync(IReadOnlyList<Pending> batch)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        // The savepoint around each call is ours; EF's own around every save would be two more statements each.
        db.Database.AutoSavepointsEnabled = false;
        await db.Database.OpenConnectionAsync();
        await using var transaction = await db.Database.BeginWriteTransactionAsync();
        var outcomes = new Outcome[batch.Count];
        for (var i = 0; i < batch.Count; i++)
            outcomes[i] = await WriteOneAsync(db, transaction, batch[i].Call);
        await transaction.CommitAsync();
        return outcomes;
    }

    /// <summary>One call under its own savepoint. A refusal comes back as the call's outcome; a failure to roll back to the savepoint ends the batch.</summary>
    private async Task<Outcome> WriteOneAsync(HelplineDb db, IDbContextTransaction transaction, InboundCall call, bool again = false)
    {
        await transaction.CreateSavepointAsync(Savepoint);
        Contact contact;
        try
        {
            contact = await InsertAsync(db, call);
        }
        catch (Exception e)
        {
            await transaction.RollbackToSavepointAsync(Savepoint);
            await transaction.ReleaseSavepointAsync(Savepoint);
            db.ChangeTracker.Clear();
            if (e is not DbUpdateException update || !update.IsUniqueViolation())
                return new Outcome(null, e);

            var callSid = call.NewContact().CallSid;
            var existing = await db.Contacts.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == callSid);
            if (existing is not null)
            {
                log.LogInformation("Inbound call {CallSid} was recorded by a request at the same moment (a Twilio retry); using that contact", callSid);
                return new Outcome(new Written(existing, Created: false), null);
            }
            // Not the CallSid: the caller's number, stored by another writer between the lookup and
            // the insert. Once more, and the lookup finds that caller.
            return again ? new Outcome(null, e) : await WriteOneAsync(db, transaction, call, again: true);
        }
        await transaction.ReleaseSavepointAsync(Savepoint);
        // Later calls in the batch look their callers up afresh; nothing of this one stays tracked.
        db.ChangeTracker.Clear();
        return new Outcome(new Written(contact, Created: true), null);
    }

    /// <summary>
    /// The caller (with whether their number is blocked, in the same query) and the contact. A blocked
    /// number's contact is stored already refused, with its audit entry, so it never reaches the queue.
    /// </summary>
    private static async Task<Contact> InsertAsync(HelplineDb db, InboundCall call)
    {
        var contact = call.NewContact();
        var blocked = false;
        if (call.Number is { } number)
        {
            var hash = db.Protector.BlindIndex(number);
            var now = call.Now;
            var known = await db.Callers
                .Where(c => c.PhoneHash == hash)
                .Select(c => new { Caller = c, Blocked = db.BlockedNumbers.Any(b => b.PhoneHash == hash && b.LiftedAt == null && b.Until > now) })
                .SingleOrDefaultAsync();
            if (known is not null)
            {
                contact.Caller = known.Caller;
                blocked = known.Blocked;
            }
            else
            {
                contact.Caller = new Caller
                {
                    PhoneHash = hash,
                    PhoneNumber = number,
                    Name = call.CallerName,
                    TimeZone = call.CallerTimeZone,
                    Language = CallerLanguage.English,
                    CreatedAt = now,
                };
                blocked = await Blocking.BlockedNumbers.IsBlockedAsync(db, number, now);
            }
        }
        if (blocked)
        {
            contact.Status = ContactStatus.Blocked;
            contact.EndedAt = call.Now;
            contact.UpdatedAt = call.Now;
        }
        db.Contacts.Add(contact);
        await db.SaveChangesAsync();
        if (blocked)
        {
            db.AuditEntries.Add(new AuditEntry { At = call.Now, Action = "call.blocked", ContactId = contact.Id, Details = "the number is blocked; not queued" });
            await db.SaveChangesAsync();
        }
        return contact;
    }

    private sealed class Pending(InboundCall call)
    {
        public InboundCall Call { get; } = call;

        // Answered from the writer's loop: the request's own work must not run on it.
        public TaskCompletionSource<Written> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly record struct Outcome(Written? Written, Exception? Error);
}
