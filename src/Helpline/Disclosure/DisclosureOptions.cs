using System.ComponentModel.DataAnnotations;
using Helpline.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Helpline.Disclosure;

/// <summary>
/// Section "Disclosure": who answers this line, said to every caller and shown at /who-answers.
/// Change <see cref="Version"/> whenever the text changes; contacts record the version they were given.
/// </summary>
public sealed class DisclosureOptions
{
    [Required, MaxLength(64)]
    public string Version { get; set; } = "";

    [Required]
    public string English { get; set; } = "";

    [Required]
    public string Spanish { get; set; } = "";
}

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
