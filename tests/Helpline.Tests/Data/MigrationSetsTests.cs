using Helpline.Data;
using Helpline.Data.Protection;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Data;

/// <summary>
/// Both providers' migration sets describe today's model, checked without a database server, so a
/// model change without a migration for either provider fails here on any machine.
/// </summary>
public sealed class MigrationSetsTests
{
    [Fact]
    public void SqliteMigrationsMatchTheModel()
    {
        using var db = new SqliteHelplineDb(
            (DbContextOptions<SqliteHelplineDb>)new DbContextOptionsBuilder<SqliteHelplineDb>().UseSqliteFile("Data Source=:memory:").Options,
            new FieldProtector(FieldKeyRing.Generate()));
        Assert.False(db.Database.HasPendingModelChanges(), "Add a SQLite migration (see HelplineDb's doc comment).");
    }

    [Fact]
    public void PostgresMigrationsMatchTheModel()
    {
        using var db = new DesignTimePostgresHelplineDbFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "Add a PostgreSQL migration (see HelplineDb's doc comment).");
    }

    /// <summary>Existing SQLite databases upgrade: the migrations they already have keep their ids.</summary>
    [Fact]
    public void SqliteMigrationIdsAreKept()
    {
        using var db = new SqliteHelplineDb(
            (DbContextOptions<SqliteHelplineDb>)new DbContextOptionsBuilder<SqliteHelplineDb>().UseSqliteFile("Data Source=:memory:").Options,
            new FieldProtector(FieldKeyRing.Generate()));
        string[] released =
        [
            "20261128025236_Initial", "20261128030743_QueueAndBridging", "20261128032634_Transfers", "20261128042541_CallbackCallerLeg",
            "20261128043109_WebForm", "20261128051539_CallbackOutcome", "20261128060126_BlockedNumbers", "20261128061447_TreatmentDirectory",
            "20261128062427_Reports",
        ];
        Assert.Equal(released, db.Database.GetMigrations().Take(released.Length));
    }
}
