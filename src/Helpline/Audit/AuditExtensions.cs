namespace Helpline.Audit;

/// <summary>The audit trail's setup: auditing the lists of callers shown to staff (see <see cref="ListViews"/>).</summary>
public static class AuditExtensions
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ListViews>();
        return builder;
    }
}
