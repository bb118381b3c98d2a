using MoCo.Orchestrator.Runs;
using Npgsql;

namespace MoCo.Orchestrator.Tests.Runs;

/// <summary>The run store contract on PostgreSQL (a fresh database per test), plus what only a shared server has:
/// processes migrating a fresh database at once, and the store chosen from MOCO_RUN_STORE's connection string.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRunStoreTests(PostgresServer server) : RunStoreContract
{
    private string? _database;

    protected override async Task<IRunStore> OpenAsync()
    {
        _database = await server.NewDatabaseAsync();
        return await PostgresRunStore.OpenAsync(_database);
    }

    protected override async Task<IRunStore> ReopenAsync() => await PostgresRunStore.OpenAsync(PostgresServer.Uri(_database!));

    [SkippableFact]
    public async Task Processes_opening_a_fresh_database_together_migrate_it_once()
    {
        var fresh = await server.NewDatabaseAsync();
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RunStores.OpenAsync(fresh)));
        Assert.All(stores, s => Assert.IsType<PostgresRunStore>(s));
        await stores[0].CreateRunAsync(Run("20261125-143012-k7qz"));
        Assert.NotNull(await stores[3].GetRunAsync("20261125-143012-k7qz"));
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
        await using var connection = new NpgsqlConnection(fresh);
        await connection.OpenAsync();
        await using var versions = new NpgsqlCommand("SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version", connection);
        Assert.Equal("1,2,3", await versions.ExecuteScalarAsync());
    }

    [SkippableFact]
    public async Task A_uri_store_is_the_same_database_as_its_keyword_string()
    {
        await Store.CreateRunAsync(Run("20261125-143012-k7qz"));
        await using var byUri = await RunStores.OpenAsync(PostgresServer.Uri(_database!));
        Assert.IsType<PostgresRunStore>(byUri);
        Assert.Equal("20261125-143012-k7qz", await byUri.ResolveAsync("last"));
    }
}
