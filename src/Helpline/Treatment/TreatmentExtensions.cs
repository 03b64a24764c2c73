using Helpline.Infrastructure;

namespace Helpline.Treatment;

/// <summary>The treatment directory's setup: search, the importer and its command, and the staff API.</summary>
public static class TreatmentExtensions
{
    /// <summary>The largest facility file an admin can upload (a national locator export is about 60 MB as JSON).</summary>
    public const long MaxUploadBytes = 200L * 1024 * 1024;

    public static WebApplicationBuilder AddTreatment(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ZipCentroids>();
        builder.Services.AddScoped<FacilitySearch>();
        builder.Services.AddScoped<FacilityImporter>();
        builder.Services.AddCommand("import-facilities", ImportFacilitiesCommand.RunAsync);
        return builder;
    }

    public static IEndpointRouteBuilder MapTreatment(this IEndpointRouteBuilder app) => app.MapDirectoryApi();
}
