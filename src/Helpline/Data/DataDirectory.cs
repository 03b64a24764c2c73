using Microsoft.Data.Sqlite;

namespace Helpline.Data;

/// <summary>
/// The one folder that holds everything this app writes: the SQLite database, the field-key file
/// (where keys come from a file) and the Data Protection keys (where they are kept on disk). The
/// install itself (the app's own folder) is only read, so it can be read-only, and one folder is
/// what to back up, move and give the service account.
/// </summary>
/// <remarks>
/// <c>DataDirectory</c> names it; relative paths are under the content root. Unset, it is the folder
/// of the SQLite file named by <c>ConnectionStrings:Helpline</c>, or <c>App_Data</c> under the content
/// root (on PostgreSQL, or when no connection string is given). Relative paths of the database, the
/// key file and the Data Protection folder are then resolved under it.
/// </remarks>
public sealed class DataDirectory(string path)
{
    public const string ConfigurationKey = "DataDirectory";
    public const string DatabaseFile = "helpline.db";
    public const string KeyFile = "keys/field-keys.json";
    public const string DataProtectionKeys = "dataprotection-keys";

    public string Path { get; } = path;

    /// <summary>A path under this folder (an absolute one is kept as it is).</summary>
    public string Resolve(string relativeOrAbsolute) => System.IO.Path.GetFullPath(relativeOrAbsolute, Path);

    public static DataDirectory From(IConfiguration configuration, string contentRoot)
    {
        if (configuration[ConfigurationKey] is { Length: > 0 } configured)
            return new DataDirectory(System.IO.Path.GetFullPath(configured, contentRoot));
        if (DataExtensions.ProviderOf(configuration) == DatabaseProvider.Sqlite
            && configuration.GetConnectionString("Helpline") is { Length: > 0 } connectionString
            && SqliteFile(connectionString) is { } file)
            return new DataDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(file, contentRoot))!);
        return new DataDirectory(System.IO.Path.GetFullPath("App_Data", contentRoot));
    }

    /// <summary>The file a SQLite connection string names, or null for an in-memory database.</summary>
    internal static string? SqliteFile(string connectionString)
    {
        var csb = new SqliteConnectionStringBuilder(connectionString);
        return csb.DataSource is { Length: > 0 } file && file != ":memory:" && csb.Mode != SqliteOpenMode.Memory ? file : null;
    }
}
