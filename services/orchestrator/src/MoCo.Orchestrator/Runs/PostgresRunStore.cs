using System.Data.Common;
using Npgsql;

namespace MoCo.Orchestrator.Runs;

/// <summary>
/// The cluster run store (config-and-cli.md §5.1): the same schema and queries as <see cref="SqliteRunStore"/> on a
/// PostgreSQL database, over one Npgsql connection. Migrations take a transaction-scoped advisory lock, so processes
/// opening a fresh database together create its tables once.
/// </summary>
public sealed class PostgresRunStore : SqlRunStore
{
    private readonly NpgsqlConnection _connection;

    private PostgresRunStore(NpgsqlConnection connection) : base(connection) => _connection = connection;

    /// <summary>Connects to (creating and migrating the tables of) the database named by <paramref name="connectionString"/>:
    /// a `postgresql://` URI or an Npgsql keyword string.</summary>
    /// <exception cref="RunStoreUnavailableException">The value is not a connection string, or the database cannot be reached.</exception>
    public static async Task<PostgresRunStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var settings = PostgresConnectionString.Parse(connectionString);
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            var store = new PostgresRunStore(connection);
            await store.MigrateAsync(RunSchema.Postgres.Migrations, cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch (NpgsqlException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new RunStoreUnavailableException(
                $"(PostgreSQL {PostgresConnectionString.Describe(settings)}) cannot be opened: {e.Message}", e);
        }
    }

    // timestamptz takes UTC only; the stored instant is what both engines compare and return.
    private protected override object TimeValue(DateTimeOffset time) => time.ToUniversalTime();

    private protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    private protected override async ValueTask<DbTransaction> BeginWriteTransactionAsync(CancellationToken cancellationToken) =>
        await _connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    private protected override string MigrationLockSql => "SELECT pg_advisory_xact_lock(hashtext('moco run store schema'))";
}
