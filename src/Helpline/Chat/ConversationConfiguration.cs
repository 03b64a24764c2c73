using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Helpline.Chat;

internal sealed class ConversationConfiguration : IEntityTypeConfiguration<Conversation>
{
    public void Configure(EntityTypeBuilder<Conversation> conversation)
    {
        conversation.HasKey(c => c.ContactId);
        conversation.HasOne(c => c.Contact).WithOne(c => c.Conversation).HasForeignKey<Conversation>(c => c.ContactId).OnDelete(DeleteBehavior.Cascade);
        conversation.Property(c => c.SecretHash).HasMaxLength(64);
        conversation.HasIndex(c => c.SecretHash).IsUnique();
        conversation.Property(c => c.TextThread).HasMaxLength(40);
        conversation.HasIndex(c => c.TextThread).IsUnique();
        conversation.Property(c => c.AddressHash).HasMaxLength(64);
        conversation.HasIndex(c => new { c.AddressHash, c.StartedAt });
        conversation.HasIndex(c => new { c.AddressHash, c.LastSeenAt });
        conversation.Property(c => c.RiskReason).HasMaxLength(200);
    }
}

internal sealed class ChatMessageConfiguration : IEntityTypeConfiguration<ChatMessage>
{
    public void Configure(EntityTypeBuilder<ChatMessage> message)
    {
        message.HasOne<Conversation>().WithMany().HasForeignKey(m => m.ContactId).OnDelete(DeleteBehavior.Cascade);
        // The database numbers a conversation's messages: two nodes can never give one number twice.
        message.HasIndex(m => new { m.ContactId, m.Sequence }).IsUnique();
        // A message resent after a dropped connection is stored once.
        message.HasIndex(m => new { m.ContactId, m.ClientMessageId }).IsUnique();
        message.Property(m => m.ClientMessageId).HasMaxLength(64);
        message.HasIndex(m => new { m.ContactId, m.Sender, m.SentAt });
        // Twilio's id for a text: a webhook delivered twice is stored once.
        message.Property(m => m.ProviderSid).HasMaxLength(34);
        message.HasIndex(m => m.ProviderSid).IsUnique();
        message.HasMany(m => m.Media).WithOne().HasForeignKey(m => m.MessageId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class MessageMediaConfiguration : IEntityTypeConfiguration<MessageMedia>
{
    public void Configure(EntityTypeBuilder<MessageMedia> media)
    {
        media.HasIndex(m => m.ContactId);
        media.Property(m => m.ContentType).HasMaxLength(100);
    }
}

internal sealed class RiskPhraseEditConfiguration : IEntityTypeConfiguration<RiskPhraseEdit>
{
    public void Configure(EntityTypeBuilder<RiskPhraseEdit> edit)
    {
        edit.HasKey(e => e.Phrase);
        edit.Property(e => e.Phrase).HasMaxLength(RiskWords.MaxPhraseLength);
        edit.Property(e => e.ChangedByName).HasMaxLength(256);
    }
}
