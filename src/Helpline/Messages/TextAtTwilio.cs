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
    /// <summary>
    /// Notes a text to delete at Twilio later; one noted already (Twilio repeats its webhooks, on
    /// any node) stays as it was. It never fails its caller, which is answering a person: a note that
    /// cannot be written is logged, and that text stays at Twilio until deleted in its console.
    /// </summary>
    public static async Task NoteAsync(this HelplineDb db, string sid, DateTime at, ILogger logger, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var transaction = await db.Database.BeginWriteTransactionAsync(cancellationToken);
            await db.Database.ExecuteSqlAsync($"""INSERT INTO "TextsAtTwilio" ("Sid", "At") VALUES ({sid}, {at}) ON CONFLICT ("Sid") DO NOTHING""", cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Text {MessageSid} could not be noted for deletion at Twilio; it stays there until it is deleted in Twilio's console", sid);
        }
    }
}
