using Microsoft.AspNetCore.Identity;

namespace Helpline.Accounts;

/// <summary>
/// Roles always; demo staff accounts only in Development, so a newcomer can sign in at once.
/// The README names them. They never exist outside Development.
/// </summary>
public static class DemoAccounts
{
    public const string Password = "Helpline-demo-2026";

    public static readonly (string Email, string Name, string Role, AdvisorLanguages Languages, string DialNumber)[] All =
    [
        ("advisor@helpline.example", "Demo Advisor", Roles.Advisor, AdvisorLanguages.English, "+15005550101"),
        ("asesora@helpline.example", "Demo Bilingual Advisor", Roles.Advisor, AdvisorLanguages.English | AdvisorLanguages.Spanish, "+15005550102"),
        ("supervisor@helpline.example", "Demo Supervisor", Roles.Supervisor, AdvisorLanguages.English | AdvisorLanguages.Spanish, "+15005550103"),
        ("admin@helpline.example", "Demo Admin", Roles.Admin, AdvisorLanguages.English, "+15005550104"),
    ];

    public static async Task SeedAccountsAsync(this WebApplication app)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
                await roles.CreateAsync(new IdentityRole(role));
        }

        if (!app.Environment.IsDevelopment())
            return;

        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        foreach (var (email, name, role, languages, dialNumber) in All)
        {
            if (await users.FindByEmailAsync(email) is not null)
                continue;
            var user = new StaffUser
            {
                UserName = email,
                Email = email,
                EmailConfirmed = true,
                DisplayName = name,
                Languages = languages,
                DialNumber = dialNumber,
                PresenceChangedAt = now,
            };
            var created = await users.CreateAsync(user, Password);
            if (!created.Succeeded)
                throw new InvalidOperationException("Could not create demo account " + email + ": " + string.Join("; ", created.Errors.Select(e => e.Description)));
            await users.AddToRoleAsync(user, role);
        }
    }
}
