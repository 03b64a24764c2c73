using Helpline.Data;
using Helpline.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace Helpline.Accounts;

/// <summary>Staff accounts' setup: Identity, the staff cookie and its sign-in store, sign-in limits, the role policies and the <c>staff</c> command.</summary>
public static class AccountsExtensions
{
    public const string SupervisorPolicy = "Supervisor";
    public const string AdminPolicy = "Admin";

    public static WebApplicationBuilder AddAccounts(this WebApplicationBuilder builder)
    {
        AddStaffIdentity(builder.Services);

        // A signed-in cookie is checked against the account every minute (not Identity's 30): a
        // disabled account is out, and changed roles apply, within a minute.
        builder.Services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration("Security");

        // Each sign-in is a row in the database and the cookie only its key: signing out deletes the row,
        // so a copy of the cookie is refused on its next request, on every node (see StaffSignInStore).
        builder.Services.AddSingleton<StaffSignInStore>();
        builder.Services.AddOptions<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(IdentityConstants.ApplicationScheme)
            .Configure<StaffSignInStore>((cookie, store) => cookie.SessionStore = store);
        builder.Services.ConfigureApplicationCookie(cookie => ConfigureStaffCookie(cookie, builder.Environment));

        builder.Services.AddOptions<SignInOptions>().BindConfiguration("SignIn").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SignInLimits>();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>()
            .Configure<SignInLimits>((options, limits) => options.AddPolicy(SignInLimits.PolicyName, limits));

        AddStaffPolicies(builder.Services);
        builder.Services.AddCommand("staff", StaffCommand.RunAsync);
        return builder;
    }

    private static void AddStaffIdentity(IServiceCollection services) => services
        .AddIdentity<StaffUser, IdentityRole>(options =>
        {
            options.User.RequireUniqueEmail = true;
            options.SignIn.RequireConfirmedAccount = false;
            options.Password.RequiredLength = 12;
            options.Password.RequiredUniqueChars = 5;
            options.Password.RequireUppercase = true;
            options.Password.RequireLowercase = true;
            options.Password.RequireDigit = true;
            options.Password.RequireNonAlphanumeric = true;
            options.Lockout.AllowedForNewUsers = true;
            options.Lockout.MaxFailedAccessAttempts = 5;
            options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
        })
        .AddEntityFrameworkStores<HelplineDb>()
        .AddSignInManager<StaffSignInManager>()
        .AddClaimsPrincipalFactory<StaffClaimsFactory>()
        .AddDefaultTokenProviders();

    private static void ConfigureStaffCookie(Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions cookie, IWebHostEnvironment environment)
    {
        cookie.LoginPath = "/sign-in";
        cookie.LogoutPath = "/sign-out";
        cookie.AccessDeniedPath = "/access-denied";
        cookie.Cookie.Name = "helpline.staff";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Strict;
        cookie.Cookie.SecurePolicy = environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        cookie.ExpireTimeSpan = TimeSpan.FromHours(10);
        cookie.SlidingExpiration = true;
        // Scripts and the hub get status codes, not a sign-in page.
        cookie.Events.OnRedirectToLogin = context => Deny(context.HttpContext, context.RedirectUri, StatusCodes.Status401Unauthorized);
        cookie.Events.OnRedirectToAccessDenied = context => Deny(context.HttpContext, context.RedirectUri, StatusCodes.Status403Forbidden);
        // A hub connection outlives the minute's check, so the check is made whenever one starts:
        // a dashboard whose connection was closed for a revoked sign-in cannot reconnect with it.
        var validatePrincipal = cookie.Events.OnValidatePrincipal;
        cookie.Events.OnValidatePrincipal = async context =>
        {
            var signInKey = StaffSignInStore.KeyOf(context.Principal);
            await validatePrincipal(context);
            if (context.Principal is not null && IsHubConnectionStart(context.Request))
                await RecheckAsync(context);
            // A principal made afresh from the account (new roles) is still this sign-in.
            if (context.Principal is not null && signInKey is not null)
                StaffSignInStore.WithKey(context.Principal, signInKey);
        };
    }

    /// <summary>
    /// Everything requires signed-in staff unless it opts out with AllowAnonymous. A bare
    /// RequireAuthorization() (the API groups, the hub) uses the default policy, which is the same:
    /// an account signed in but with no staff role reads no record.
    /// </summary>
    private static void AddStaffPolicies(IServiceCollection services)
    {
        var staff = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireRole(Roles.All).Build();
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(staff)
            .SetFallbackPolicy(staff)
            .AddPolicy(SupervisorPolicy, policy => policy.RequireRole(Roles.Supervisor, Roles.Admin))
            .AddPolicy(AdminPolicy, policy => policy.RequireRole(Roles.Admin));
    }

    private static bool IsHubConnectionStart(HttpRequest request) =>
        request.Path.StartsWithSegments("/hubs") &&
        (request.Path.Value!.EndsWith("/negotiate", StringComparison.Ordinal) || !request.Query.ContainsKey("id") || request.HttpContext.WebSockets.IsWebSocketRequest);

    /// <summary>What Identity's security stamp validator does when the minute is up: refuse, or go on with fresh roles.</summary>
    private static async Task RecheckAsync(Microsoft.AspNetCore.Authentication.Cookies.CookieValidatePrincipalContext context)
    {
        var signIn = context.HttpContext.RequestServices.GetRequiredService<SignInManager<StaffUser>>();
        if (await signIn.ValidateSecurityStampAsync(context.Principal) is { } user)
        {
            context.ReplacePrincipal(await signIn.CreateUserPrincipalAsync(user));
            context.ShouldRenew = true;
            return;
        }
        context.RejectPrincipal();
        await signIn.SignOutAsync();
    }

    private static Task Deny(HttpContext context, string redirectUri, int statusCode)
    {
        if (IsForScripts(context.Request))
        {
            context.Response.StatusCode = statusCode;
            return Task.CompletedTask;
        }
        context.Response.Redirect(redirectUri);
        return Task.CompletedTask;
    }

    private static bool IsForScripts(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/hubs") ||
        request.Headers.Accept.ToString().Contains("application/json", StringComparison.OrdinalIgnoreCase);
}
