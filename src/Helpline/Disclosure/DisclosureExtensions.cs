using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Disclosure;

/// <summary>The disclosure's setup: its settings, and publishing the configured version at start.</summary>
public static class DisclosureExtensions
{
    public static WebApplicationBuilder AddDisclosure(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DisclosureOptions>().BindConfiguration("Disclosure").ValidateDataAnnotations().ValidateOnStart();
        return builder;
    }

    /// <summary>
    /// Records the configured disclosure as a published version. A version's text never changes once
    /// published: changing the text under the same version stops the app, so what callers heard stays provable.
    /// </summary>
    public static async Task PublishDisclosureAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<DisclosureOptions>>().Value;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HelplineDb>();
        var published = await db.DisclosureVersions.FindAsync(options.Version);
        if (published is null)
        {
            db.DisclosureVersions.Add(new DisclosureVersion
            {
                Version = options.Version,
                English = options.English,
                Spanish = options.Spanish,
                PublishedAt = app.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
            });
            try
            {
                await db.SaveChangesAsync();
            }
            catch (DbUpdateException e) when (e.IsUniqueViolation())
            {
                // Another node published it at the same moment.
            }
        }
        else if (published.English != options.English || published.Spanish != options.Spanish)
        {
            throw new InvalidOperationException(
                $"Disclosure version '{options.Version}' was published with a different text. Give the new text a new Disclosure:Version.");
        }
    }
}
