using Microsoft.Data.Sqlite;
using MoCo.Orchestrator.Runs;

namespace MoCo.Orchestrator.Tests.Runs;

/// <summary>The run store contract on SQLite, plus what only SQLite has: WAL mode and schema migrations.</summary>
public sealed class SqliteRunStoreTests : RunStoreContract, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-store-").FullName;

    private string DbPath => Path.Combine(_dir, "nested", "runs.db");

    protected override async Task<IRunStore> OpenAsync() => await SqliteRunStore.OpenAsync(DbPath);

    protected override async Task<IRunStore> ReopenAsync() => await SqliteRunStore.OpenAsync("sqlite:" + DbPath);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task The_file_is_in_wal_mode_with_a_schema_version()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        using var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using var mode = connection.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", mode.ExecuteScalar());
        using var version = connection.CreateCommand();
        version.CommandText = "SELECT MAX(version) FROM schema_version";
        Assert.Equal(3L, version.ExecuteScalar());
    }

    [Fact]
    public async Task Reopening_does_not_migrate_twice()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        await using var again = await ReopenAsync();
        Assert.NotNull(await again.GetRunAsync("20261125-143012-k7qz"));
    }

    [Fact]
    public async Task A_store_of_the_first_schema_gains_the_call_key_index_and_the_call_model_on_open()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        await Store.DisposeAsync();
        using (var connection = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var downgrade = connection.CreateCommand();
            downgrade.CommandText = "DROP INDEX calls_key; ALTER TABLE calls DROP COLUMN model; DELETE FROM schema_version WHERE version > 1";
            downgrade.ExecuteNonQuery();
        }
        await using var again = await ReopenAsync();
        Assert.NotNull(await again.GetRunAsync("20261125-143012-k7qz"));
        using var check = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        check.Open();
        using var index = check.CreateCommand();
        index.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'calls_key'";
        Assert.Equal(1L, index.ExecuteScalar());
        using var column = check.CreateCommand();
        column.CommandText = "SELECT COUNT(*) FROM pragma_table_info('calls') WHERE name = 'model'";
        Assert.Equal(1L, column.ExecuteScalar());
        using var version = check.CreateCommand();
        version.CommandText = "SELECT MAX(version) FROM schema_version";
        Assert.Equal(3L, version.ExecuteScalar());
    }

    [Fact]
    public void Run_ids_have_the_spec_shape()
    {
        var id = RunIds.New(new DateTimeOffset(2026, 11, 25, 14, 30, 12, TimeSpan.Zero));
        Assert.StartsWith("20261125-143012-", id);
        Assert.True(RunIds.IsValid(id));
        Assert.False(RunIds.IsValid("2026-11-25"));
    }
}
