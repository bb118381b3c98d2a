using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace MoCo.Orchestrator.Runs;

/// <summary>
/// The embedded run store (config-and-cli.md §5.1): one SQLite file in WAL mode with a 5 s busy timeout, schema
/// migrations by `schema_version`, every write in a transaction. Several processes may open the same file (SQLite
/// serialises their writers).
/// </summary>
public sealed class SqliteRunStore : SqlRunStore
{
    private readonly SqliteConnection _connection;

    private SqliteRunStore(SqliteConnection connection) : base(connection) => _connection = connection;

    /// <summary>Opens (creating and migrating) the store at <paramref name="path"/>; "sqlite:" prefix optional.</summary>
    public static async Task<SqliteRunStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var file = path.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? path["sqlite:".Length..] : path;
        if (Path.GetDirectoryName(Path.GetFullPath(file)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false, DefaultTimeout = 5 }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        var store = new SqliteRunStore(connection);
        await store.ExecuteAsync("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            cancellationToken).ConfigureAwait(false);
        await store.MigrateAsync(RunSchema.Sqlite.Migrations, cancellationToken).ConfigureAwait(false);
        return store;
    }

    // Fixed-width UTC text sorts like time, so heartbeat comparisons work in SQL.
    private protected override object TimeValue(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    private protected override ValueTask<DbTransaction> BeginWriteTransactionAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(_connection.BeginTransaction(deferred: false));
}
