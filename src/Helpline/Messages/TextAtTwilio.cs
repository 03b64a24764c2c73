using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Messages;

/// <summary>
/// A text Twilio holds that no conversation keeps: one from a sender who cannot be answered or is
/// blocked, an empty one, a bare STOP or START, one that came while the line was closed and the
/// answer to it, and the web form's courtesy text. Twilio keeps every message's body until it is
/// deleted; the app keeps only the SID, so that the retention job deletes the text at Twilio a day
/// later, once it has been delivered. Texts of a conversation go with their contact instead.
/// </summary>
public sealed class TextAtTwilio
{
    /// <summary>How long a text nobody keeps stays at Twilio: long enough for Twilio to finish delivering it.</summary>
    public static readonly TimeSpan KeptAtTwilioFor = TimeSpan.FromDays(1);

    public string Sid { get; set; } = "";

    /// <summary>When the app learnt of the text (UTC).</summary>
    public DateTime At { get; set; }
}

internal sealed class TextAtTwilioConfiguration : IEntityTypeConfiguration<TextAtTwilio>
{
    public void Configure(EntityTypeBuilder<TextAtTwilio> text)
    {
        text.ToTable("TextsAtTwilio");
        text.HasKey(t => t.Sid);
        text.Property(t => t.Sid).HasMaxLength(34);
        text.HasIndex(t => t.At);
    }
}

public static class TextsAtTwilio
{
    /// <summary>Notes a text to delete at Twilio later; one noted already (Twilio repeats its webhooks and reports) stays as it was.</summary>
    public static async Task NoteAsync(this HelplineDb db, string sid, DateTime at, CancellationToken cancellationToken = default)
    {
        if (await db.TextsAtTwilio.AnyAsync(t => t.Sid == sid, cancellationToken))
            return;
        var text = db.TextsAtTwilio.Add(new TextAtTwilio { Sid = sid, At = at });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.IsUniqueViolation())
        {
            // Noted by a repeat of the same webhook at the same moment, perhaps on another node.
        }
        finally
        {
            text.State = EntityState.Detached;
        }
    }
}
