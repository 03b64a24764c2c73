using Microsoft.Extensions.Options;

namespace Helpline.Accounts;

/// <summary>Section "Security".</summary>
public sealed class SecurityOptions
{
    /// <summary>Admins must sign in with a second factor: one without it is sent to enrol before anything else.</summary>
    public bool RequireTwoFactorForAdmins { get; set; }
}

/// <summary>
/// With <see cref="SecurityOptions.RequireTwoFactorForAdmins"/>, a signed-in admin who has not turned
/// on two-factor sign-in reaches only the enrolment page and sign-out: pages redirect there, scripts
/// get 403. Read from the cookie's claims, refreshed at enrolment and at every stamp validation.
/// </summary>
public static class TwoFactorRequirement
{
    public const string EnrolPath = "/account/two-factor";

    public static IApplicationBuilder UseTwoFactorRequirement(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true && user.IsInRole(Roles.Admin) && !user.HasClaim(StaffClaimsFactory.TwoFactorClaim, "on")
            && !context.Request.Path.StartsWithSegments(EnrolPath) && !context.Request.Path.StartsWithSegments("/sign-out")
            && context.RequestServices.GetRequiredService<IOptions<SecurityOptions>>().Value.RequireTwoFactorForAdmins)
        {
            if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/hubs") || context.Request.Path.StartsWithSegments("/reports/export"))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                await context.Response.WriteAsJsonAsync(new { title = "Two-factor sign-in required", detail = $"Admins must turn on two-factor sign-in first: {EnrolPath}" },
                    options: null, contentType: "application/problem+json");
                return;
            }
            context.Response.Redirect(EnrolPath + "?required=true");
            return;
        }
        await next();
    });
}
