namespace Helpline.TreatmentDirectory;

public static class DirectoryExtensions
{
    /// <summary>The largest facility file an admin can upload (a national locator export is about 60 MB as JSON).</summary>
    public const long MaxUploadBytes = 200L * 1024 * 1024;

    public static WebApplicationBuilder AddDirectory(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ZipCentroids>();
        builder.Services.AddScoped<FacilitySearch>();
        builder.Services.AddScoped<FacilityImporter>();
        return builder;
    }
}
