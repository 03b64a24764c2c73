using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

// Not Helpline.Tests.Directory: that would hide System.IO.Directory from the other test namespaces.
namespace Helpline.Tests.TreatmentDirectory;

internal static class DirectoryTestApp
{
    /// <summary>Every fixture imported: Denver and around (JSON, CSV export, plain), Colorado Springs and Pueblo (National Directory), Boston.</summary>
    public static async Task ImportFixturesAsync(this HelplineApp app)
    {
        foreach (var fixture in new[] { "locator.json", "locator-export.csv", "national-directory.csv", "plain.csv" })
            await app.ImportAsync(DirectoryFiles.Fixture(fixture));
    }

    public static Task<long> FacilityIdAsync(this HelplineApp app, string name) =>
        app.WithDbAsync(db => db.Facilities.Where(f => f.Name == name).Select(f => f.Id).SingleAsync());

    public static async Task<StaffSession> AdminAsync(this HelplineApp app)
    {
        await app.CreateStaffAsync("admin@test.example", Roles.Admin);
        return await app.SignInAsync("admin@test.example");
    }
}
