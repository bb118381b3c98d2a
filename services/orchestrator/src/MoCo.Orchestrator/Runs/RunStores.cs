using Grpc.Core;
using MoCo.Hosting.Errors;

namespace MoCo.Orchestrator.Runs;

/// <summary>Opens the store named by MOCO_RUN_STORE / `--store` (config-and-cli.md §5.1, §6): a SQLite path ("sqlite:"
/// optional), or a PostgreSQL URI / Npgsql keyword string, which this build does not include yet.</summary>
public static class RunStores
{
    /// <summary>Whether <paramref name="value"/> names a PostgreSQL database.</summary>
    public static bool IsPostgres(string value) =>
        value.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || (value.Contains('=', StringComparison.Ordinal) && value.Contains("host", StringComparison.OrdinalIgnoreCase));

    /// <summary>Opens the store.</summary>
    /// <exception cref="RpcException">UNIMPLEMENTED for PostgreSQL (CLI exit 4).</exception>
    public static async Task<IRunStore> OpenAsync(string value, CancellationToken cancellationToken = default) => IsPostgres(value)
        ? throw MocoErrors.Unimplemented("the PostgreSQL run store", "the Npgsql run store (set MOCO_RUN_STORE to a SQLite path meanwhile)")
        : await SqliteRunStore.OpenAsync(value, cancellationToken).ConfigureAwait(false);
}
