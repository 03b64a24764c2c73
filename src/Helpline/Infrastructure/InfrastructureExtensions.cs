using System.Net;
using Helpline.Accounts;
using Helpline.Telephony;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Helpline.Infrastructure;

/// <summary>Wiring that belongs to no one feature: clock, options, proxies, pages, errors.</summary>
public static class InfrastructureExtensions
{
    public static WebApplicationBuilder AddInfrastructure(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<HelplineOptions>().BindConfiguration("Helpline").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HelplineOptions>, HelplineOptionsValidator>();
        builder.Services.AddSingleton<HelplineTime>();
        builder.Services.AddSingleton<OpeningHours>();
        builder.Services.AddCommand("seed", SeedCommand.RunAsync);

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<MalformedRequestHandler>();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        AddPages(builder.Services);
        PersistDataProtectionKeys(builder);
        builder.Services.Configure<ForwardedHeadersOptions>(options => TrustProxies(options, builder.Configuration));
        AddStrictCookies(builder.Services);

        // HSTS (outside Development, see UseInfrastructure): a year, this host only; preloading is the operator's call.
        builder.Services.AddHsts(options => options.MaxAge = TimeSpan.FromDays(365));

        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }

    private static void AddPages(IServiceCollection services)
    {
        services.AddRazorPages(options => options.RootDirectory = "/")
            .AddMvcOptions(options =>
            {
                // Nothing here posts jQuery-style keys (a[b]); their parsers throw on a stray "[" in any
                // field name, turning a bad request into a 500.
                Microsoft.AspNetCore.Mvc.ModelBinding.ValueProviderFactoryExtensions.RemoveType<Microsoft.AspNetCore.Mvc.ModelBinding.JQueryFormValueProviderFactory>(options.ValueProviderFactories);
                Microsoft.AspNetCore.Mvc.ModelBinding.ValueProviderFactoryExtensions.RemoveType<Microsoft.AspNetCore.Mvc.ModelBinding.JQueryQueryStringValueProviderFactory>(options.ValueProviderFactories);
            });
        // Spanish pages as Spanish, not as &#xED; entities (still HTML-encoded where it matters).
        services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(options =>
            options.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
    }

    /// <summary>
    /// Cookies and antiforgery tokens must outlive a restart, and on several nodes a cookie issued by
    /// one must be read by the others: with PostgreSQL the key ring lives in the shared database
    /// (never only in Redis, which may lose it), else in a folder (shared by every node when set so).
    /// </summary>
    private static void PersistDataProtectionKeys(WebApplicationBuilder builder)
    {
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("Helpline");
        if (DataProtectionStore(builder.Configuration) == "Database")
            dataProtection.PersistKeysToDbContext<Data.HelplineDb>();
        else
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(
                Data.DataDirectory.From(builder.Configuration, builder.Environment.ContentRootPath)
                    .Resolve(builder.Configuration["DataProtection:KeysDirectory"] is { Length: > 0 } keys ? keys : Data.DataDirectory.DataProtectionKeys)));
    }

    /// <summary>Believes X-Forwarded-* only from the proxies and networks named in <c>ReverseProxy</c>.</summary>
    private static void TrustProxies(ForwardedHeadersOptions options, IConfiguration configuration)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
        foreach (var proxy in configuration.GetSection("ReverseProxy:KnownProxies").Get<string[]>() ?? [])
            options.KnownProxies.Add(IPAddress.Parse(proxy));
        foreach (var network in configuration.GetSection("ReverseProxy:KnownNetworks").Get<string[]>() ?? [])
            options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
    }

    /// <summary>
    /// Every cookie the app sets is HttpOnly and SameSite=Strict. The staff cookie is Secure outside
    /// Development (AddAccounts); these two follow the request, because antiforgery set to Always
    /// throws on a plain-HTTP request (a 500 on any page with a form) instead of just marking the cookie.
    /// </summary>
    private static void AddStrictCookies(IServiceCollection services)
    {
        services.AddAntiforgery(options =>
        {
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(options =>
        {
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
    }

    /// <summary><c>DataProtection:Store</c>: <c>Database</c> (the default on PostgreSQL) or <c>FileSystem</c> (the default on SQLite).</summary>
    internal static string DataProtectionStore(IConfiguration configuration) =>
        configuration["DataProtection:Store"] switch
        {
            null or "" => Data.DataExtensions.ProviderOf(configuration) == Data.DatabaseProvider.Postgres ? "Database" : "FileSystem",
            "Database" => "Database",
            "FileSystem" => "FileSystem",
            var other => throw new InvalidOperationException($"DataProtection:Store is '{other}'; use Database or FileSystem."),
        };

    public static WebApplication UseInfrastructure(this WebApplication app)
    {
        app.UseForwardedHeaders();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (!app.Environment.IsDevelopment())
            app.UseHsts();
        app.UseStaticFiles(new StaticFileOptions
        {
            OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = SecurityHeaders.StaticCacheControl,
        });
        app.UseTwilioSignatures();
        app.UseRouting();
        app.UseAuthentication();
        app.UseTwoFactorRequirement();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { ResponseWriter = WriteHealthAsync })
            .AllowAnonymous();
        return app;
    }

    /// <summary>"Healthy" alone; otherwise the status and, per check that is not healthy, why (no secrets, no caller data).</summary>
    private static Task WriteHealthAsync(HttpContext context, Microsoft.Extensions.Diagnostics.HealthChecks.HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = report.Status.ToString();
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy))
            text += $"\n{name}: {entry.Status}: {entry.Description}";
        return context.Response.WriteAsync(text);
    }
}
