namespace MoCo.Orchestrator.Runs;

/// <summary>Opens the store named by MOCO_RUN_STORE / `--store` (config-and-cli.md §5.1, §6): a SQLite path ("sqlite:"
/// optional), or a PostgreSQL `postgresql://` URI / Npgsql keyword string.</summary>
public static class RunStores
{
    /// <summary>Whether <paramref name="value"/> names a PostgreSQL database.</summary>
    public static bool IsPostgres(string value) =>
        value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || (value.Contains('=', StringComparison.Ordinal) && value.Contains("host", StringComparison.OrdinalIgnoreCase));

    /// <summary>Opens the store.</summary>
    /// <exception cref="RunStoreUnavailableException">A PostgreSQL value that is malformed or whose database cannot be reached.</exception>
    public static async Task<IRunStore> OpenAsync(string value, CancellationToken cancellationToken = default) => IsPostgres(value)
        ? await PostgresRunStore.OpenAsync(value, cancellationToken).ConfigureAwait(false)
        : await SqliteRunStore.OpenAsync(value, cancellationToken).ConfigureAwait(false);
}
