using System.Net;
using Helpline.Calls;
using Helpline.Contacts;
using Helpline.Data;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static Helpline.Tests.Infrastructure.Calls;

namespace Helpline.Tests.Calls;

/// <summary>
/// Inbound calls that arrive together on SQLite are committed together: what Twilio and the caller
/// notice is only that each webhook is answered once its own contact is stored, exactly once.
/// </summary>
public sealed class InboundGroupCommitTests : IAsyncLifetime
{
    private readonly HelplineApp _app = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    [Fact]
    public async Task CallsArrivingTogetherAreAnsweredOnceStoredAndShareACommit()
    {
        var client = _app.CreateClient();
        var writer = _app.Services.GetRequiredService<InboundCallWriter>();
        var sids = Enumerable.Range(0, 20).Select(_ => NewCallSid()).ToList();
        // Two callers share a number; one call is posted three times (Twilio retrying) in the same burst.
        var forms = sids.Select((sid, i) => Inbound(sid, from: $"+121255501{i % 19:D2}")).Append(Inbound(sids[3], from: "+12125550103")).Append(Inbound(sids[3], from: "+12125550103")).ToList();
        var batchesBefore = writer.Batches;

        var responses = await WhileTheWriteLockIsHeldAsync(writer, forms.Count, () => forms.Select(f => _app.PostTwilioAsync("/twilio/voice/incoming", f, client)).ToList());

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var response in responses)
            (await response.TwimlAsync()).One("/Response/Gather[@action='/twilio/voice/menu?attempt=1']");
        var stored = await _app.WithDbAsync(db => db.Contacts.AsNoTracking().Where(c => sids.Contains(c.CallSid!)).Include(c => c.Caller).ToListAsync());
        Assert.Equal(sids.Order(), stored.Select(c => c.CallSid).Order());
        Assert.All(stored, c => Assert.Equal(ContactStatus.InMenu, c.Status));
        Assert.Equal(19, await _app.WithDbAsync(db => db.Callers.CountAsync()));
        Assert.Equal("+12125550100", stored.Single(c => c.CallSid == sids[19]).Caller!.PhoneNumber);
        Assert.Equal(stored.Single(c => c.CallSid == sids[0]).CallerId, stored.Single(c => c.CallSid == sids[19]).CallerId);
        // The first call (or two) waited for the lock; the others were written in one transaction.
        Assert.InRange(writer.Batches - batchesBefore, 1, 2);
        Assert.DoesNotContain(_app.Logs.Lines, l => l.StartsWith("Error") || l.StartsWith("Critical") || l.StartsWith("Warning") && l.Contains("each on its own"));
    }

    [Fact]
    public async Task ACallTheDatabaseRefusesFailsAloneAndTheOthersInItsBatchAreStored()
    {
        var client = _app.CreateClient();
        var writer = _app.Services.GetRequiredService<InboundCallWriter>();
        // A refusal the app does not expect, for one call only.
        await _app.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(
            "CREATE TRIGGER refuse_zz BEFORE INSERT ON Contacts WHEN NEW.Region = 'ZZ' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;"));
        var good = Enumerable.Range(0, 8).Select(_ => NewCallSid()).ToList();
        var bad = NewCallSid();
        var forms = good.Select(sid => Inbound(sid)).ToList();
        forms.Insert(4, Inbound(bad).With(("FromState", "ZZ")));

        var responses = await WhileTheWriteLockIsHeldAsync(writer, forms.Count, () => forms.Select(f => _app.PostTwilioAsync("/twilio/voice/incoming", f, client)).ToList());

        Assert.NotEqual(HttpStatusCode.OK, responses[4].StatusCode);
        Assert.All(responses.Where((_, i) => i != 4), r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(good.Order(), await _app.WithDbAsync(db => db.Contacts.Where(c => good.Contains(c.CallSid!) || c.CallSid == bad).Select(c => c.CallSid!).OrderBy(s => s).ToListAsync()));
        Assert.Equal(1, await _app.WithDbAsync(db => db.Callers.CountAsync()));
    }

    /// <summary>
    /// Holds SQLite's write lock (through the app's writer queue) while the webhooks are sent, until the
    /// writer has them all, in the batch waiting for the lock or queued behind it, so they arrive together.
    /// </summary>
    private async Task<HttpResponseMessage[]> WhileTheWriteLockIsHeldAsync(InboundCallWriter writer, int count, Func<List<Task<HttpResponseMessage>>> send)
    {
        await using var scope = _app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        List<Task<HttpResponseMessage>> sent;
        await using (var held = await db.Database.BeginWriteTransactionAsync())
        {
            sent = send();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (writer.Unanswered < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {writer.Unanswered} of {count} calls queued");
                await Task.Delay(10);
            }
            Assert.DoesNotContain(sent, t => t.IsCompleted);
            await held.CommitAsync();
        }
        return await Task.WhenAll(sent);
    }
}
