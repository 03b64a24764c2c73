using Microsoft.AspNetCore.Identity;

namespace Helpline.Accounts;

/// <summary>
/// <c>staff add EMAIL ROLE [DISPLAY NAME]</c>: creates a staff account, so that a new installation has
/// someone who can sign in. The password is read from HELPLINE_STAFF_PASSWORD or the first line of
/// standard input, never from the command line (it would stay in the shell's history).
/// </summary>
public static class StaffCommand
{
    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        if (args.Length < 3 || !args[0].Equals("add", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine("Usage: staff add EMAIL ROLE [DISPLAY NAME]   (ROLE: Advisor, Supervisor or Admin; password from HELPLINE_STAFF_PASSWORD or standard input)");
            return 2;
        }
        var (email, role) = (args[1], Roles.All.FirstOrDefault(r => r.Equals(args[2], StringComparison.OrdinalIgnoreCase)));
        if (role is null)
        {
            Console.Error.WriteLine($"Unknown role '{args[2]}'. Roles: {string.Join(", ", Roles.All)}.");
            return 2;
        }
        var password = Environment.GetEnvironmentVariable("HELPLINE_STAFF_PASSWORD");
        if (string.IsNullOrEmpty(password))
        {
            if (!Console.IsInputRedirected)
                Console.Write("Password: ");
            password = Console.ReadLine();
        }
        if (string.IsNullOrEmpty(password))
        {
            Console.Error.WriteLine("No password given.");
            return 2;
        }

        await using var scope = app.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var user = new StaffUser
        {
            UserName = email,
            Email = email,
            EmailConfirmed = true,
            DisplayName = args.Length > 3 ? string.Join(' ', args[3..]) : email,
            PresenceChangedAt = app.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime,
        };
        var created = await users.CreateAsync(user, password);
        if (created.Succeeded)
            created = await users.AddToRoleAsync(user, role);
        if (!created.Succeeded)
        {
            Console.Error.WriteLine("Could not create the account: " + string.Join(" ", created.Errors.Select(e => e.Description)));
            return 1;
        }
        Console.WriteLine($"Created {role} account {email}.");
        return 0;
    }
}
