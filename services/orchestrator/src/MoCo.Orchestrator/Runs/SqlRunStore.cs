using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MoCo.Orchestrator.Runs;

/// <summary>
/// The run store's queries over ADO.NET, shared by the SQLite and PostgreSQL stores (config-and-cli.md §5.1: one
/// schema, one test suite). A store holds one connection, used by one caller at a time; a write batch holds it until
/// it ends. The engines differ only in how a time is stored, how a write transaction starts and how migrations are
/// serialised between processes.
/// </summary>
public abstract class SqlRunStore : IRunStore
{
    private readonly DbConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Wraps an open connection; call <see cref="MigrateAsync"/> before use.</summary>
    private protected SqlRunStore(DbConnection connection) => _connection = connection;

    /// <summary>A time as the engine stores it.</summary>
    private protected abstract object TimeValue(DateTimeOffset time);

    /// <summary>A stored time (column <paramref name="ordinal"/>, not null).</summary>
    private protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>Starts a transaction that writes (SQLite: takes the write lock at once, so batches never deadlock).</summary>
    private protected abstract ValueTask<DbTransaction> BeginWriteTransactionAsync(CancellationToken cancellationToken);

    /// <summary>A statement run first in the migration transaction so that two processes opening a fresh store
    /// migrate one after the other; null when the engine's write transaction already serialises them.</summary>
    private protected virtual string? MigrationLockSql => null;

    /// <summary>Runs the migrations this store has not run yet, recording each in `schema_version`.</summary>
    private protected async Task MigrateAsync(string[] migrations, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginWriteTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (MigrationLockSql is { } lockSql)
        {
            await Command(lockSql, transaction).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await Command("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", transaction).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        var current = Convert.ToInt32(await Scalar("SELECT COALESCE(MAX(version), 0) FROM schema_version", transaction, cancellationToken).ConfigureAwait(false),
            CultureInfo.InvariantCulture);
        if (current > migrations.Length)
        {
            throw new InvalidOperationException($"the run store has schema version {current}, newer than this MoCo.NET ({migrations.Length}); upgrade MoCo.NET");
        }
        for (var version = current; version < migrations.Length; version++)
        {
            await Command(migrations[version], transaction).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await Command("INSERT INTO schema_version (version) VALUES (@v)", transaction, ("@v", version + 1)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public Task CreateRunAsync(NewRun run, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        await Command("""
            INSERT INTO runs (id, status, owner, heartbeat, method, task, task_type, model_names, compat, seed, config_text, config_sha256,
                resolved_config, limit_items, limit_seed, dataset_sha256, model_fingerprints, moco_version, method_version, mode, created_at)
            VALUES (@id, 'running', @owner, @created, @method, @task, @task_type, @models, @compat, @seed, @config, @sha, @resolved, @limit,
                @limit_seed, @dataset, @fingerprints, @version, @method_version, @mode, @created)
            """, null,
            ("@id", run.Id), ("@owner", run.Owner), ("@created", TimeValue(run.CreatedAt)), ("@method", run.Method), ("@task", run.Task),
            ("@task_type", run.TaskType), ("@models", JsonSerializer.Serialize(run.ModelNames)), ("@compat", run.Compat),
            ("@seed", unchecked((long)run.Seed)), ("@config", run.ConfigText), ("@sha", Sha256(run.ConfigText)),
            ("@resolved", run.ResolvedConfigJson), ("@limit", run.Limit), ("@limit_seed", run.LimitSeed is { } s ? unchecked((long)s) : null),
            ("@dataset", run.DatasetSha256), ("@fingerprints", run.ModelFingerprintsJson), ("@version", run.MocoVersion),
            ("@method_version", run.MethodVersion), ("@mode", run.Mode)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return true;
    });

    /// <inheritdoc/>
    public Task<RunRecord?> GetRunAsync(string id, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        var runs = await ReadRuns("SELECT * FROM runs WHERE id = @id", cancellationToken, ("@id", id)).ConfigureAwait(false);
        return runs.FirstOrDefault();
    });

    /// <inheritdoc/>
    public Task<string?> ResolveAsync(string reference, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        if (reference == "last")
        {
            return (string?)await Scalar("SELECT id FROM runs ORDER BY created_at DESC, id DESC LIMIT 1", null, cancellationToken).ConfigureAwait(false);
        }
        var matches = new List<string>();
        await using (var reader = await Command("SELECT id FROM runs WHERE id = @r OR substr(id, 1, length(@r)) = @r OR (length(@r) = 4 AND substr(id, 17) = @r)",
            null, ("@r", reference)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                matches.Add(reader.GetString(0));
            }
        }
        if (matches.Contains(reference))
        {
            return reference;
        }
        return matches.Count switch
        {
            0 => null,
            1 => matches[0],
            _ => throw new AmbiguousRunException(reference, matches),
        };
    });

    /// <inheritdoc/>
    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        var runs = await ReadRuns("""
            SELECT * FROM runs WHERE (CAST(@method AS TEXT) IS NULL OR method = @method) AND (CAST(@task AS TEXT) IS NULL OR task = @task)
            ORDER BY created_at DESC, id DESC
            """, cancellationToken, ("@method", query.Method), ("@task", query.Task)).ConfigureAwait(false);
        var now = DateTimeOffset.UtcNow;
        // Interrupted is derived from the heartbeat, so the status filter runs here rather than in SQL.
        return (IReadOnlyList<RunRecord>)runs.Where(r => query.Statuses is null || query.Statuses.Contains(r.StatusAt(now)))
            .Take(query.Limit <= 0 ? 20 : query.Limit).ToList();
    });

    /// <inheritdoc/>
    public Task<bool> TryTakeOwnershipAsync(string id, string owner, DateTimeOffset now, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        // One UPDATE decides, so two processes racing for a run cannot both win.
        var changed = await Command("""
            UPDATE runs SET owner = @owner, heartbeat = @now, status = 'running', cancel_requested = 0, finished_at = NULL
            WHERE id = @id AND (owner IS NULL OR owner = @owner OR heartbeat IS NULL OR heartbeat < @stale)
            """, null, ("@owner", owner), ("@now", TimeValue(now)), ("@id", id), ("@stale", TimeValue(now - RunRecord.StaleAfter)))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return changed == 1;
    });

    /// <inheritdoc/>
    public Task<bool> HeartbeatAsync(string id, string owner, DateTimeOffset now, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        await Command("UPDATE runs SET heartbeat = @now WHERE id = @id AND owner = @owner", null, ("@now", TimeValue(now)), ("@id", id), ("@owner", owner))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt64(await Scalar("SELECT cancel_requested FROM runs WHERE id = @id", null, cancellationToken, ("@id", id)).ConfigureAwait(false),
            CultureInfo.InvariantCulture) == 1;
    });

    /// <inheritdoc/>
    public Task RequestCancelAsync(string id, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        await Command("UPDATE runs SET cancel_requested = 1, status = CASE WHEN status = 'running' THEN 'cancelling' ELSE status END WHERE id = @id",
            null, ("@id", id)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return true;
    });

    /// <inheritdoc/>
    public Task FinishRunAsync(string id, RunState state, DateTimeOffset finishedAt, double? testScore, int? testItems, string? referenceLog,
        string? errorCode, string? errorMessage, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        await Command("""
            UPDATE runs SET status = @status, owner = NULL, finished_at = @finished, test_score = @score, test_items = @items,
                reference_log = @log, error_code = @code, error_message = @message WHERE id = @id
            """, null, ("@status", state.Name()), ("@finished", TimeValue(finishedAt)), ("@score", testScore), ("@items", testItems),
            ("@log", referenceLog), ("@code", errorCode), ("@message", errorMessage), ("@id", id)).ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return true;
    });

    /// <inheritdoc/>
    public async Task<IRunWriteBatch> BeginBatchAsync(CancellationToken cancellationToken = default)
    {
        // The gate is held until the batch ends: the connection has one transaction at a time.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return new SqlWriteBatch(this, await BeginWriteTransactionAsync(cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    internal void EndBatch() => _gate.Release();

    /// <inheritdoc/>
    public Task<IReadOnlyList<PhaseRecord>> GetPhasesAsync(string runId, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        var phases = new List<PhaseRecord>();
        await using var reader = await Command("SELECT name, status, total, done, started_at, finished_at, prompt_tokens, completion_tokens FROM phases WHERE run_id = @id ORDER BY seq",
            null, ("@id", runId)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            phases.Add(new PhaseRecord(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), ReadTime(reader, 4),
                reader.IsDBNull(5) ? null : ReadTime(reader, 5), reader.GetInt64(6), reader.GetInt64(7)));
        }
        return (IReadOnlyList<PhaseRecord>)phases;
    });

    /// <inheritdoc/>
    public Task<IReadOnlyList<ItemRecord>> GetItemsAsync(string runId, string? phase = null, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        var items = new List<ItemRecord>();
        await using var reader = await Command("""
            SELECT run_id, phase, split, idx, item_id, input, output, parsed, score, extras, model, latency_ms, prompt_tokens, completion_tokens
            FROM items WHERE run_id = @id AND (CAST(@phase AS TEXT) IS NULL OR phase = @phase) ORDER BY phase, split, idx
            """, null, ("@id", runId), ("@phase", phase)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            items.Add(new ItemRecord(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetString(4),
                reader.GetString(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.IsDBNull(8) ? null : reader.GetDouble(8),
                reader.GetString(9), reader.IsDBNull(10) ? null : reader.GetString(10), reader.GetInt32(11), reader.GetInt32(12), reader.GetInt32(13)));
        }
        return (IReadOnlyList<ItemRecord>)items;
    });

    /// <inheritdoc/>
    public Task<CallRecord?> GetCallAsync(string runId, string callKey, CancellationToken cancellationToken = default) =>
        FirstCallAsync("run_id = @id AND call_key = @key", cancellationToken, ("@id", runId), ("@key", callKey));

    /// <inheritdoc/>
    public Task<CallRecord?> FindCallAsync(string callKey, string exceptRunId, CancellationToken cancellationToken = default) =>
        // The oldest run's answer: the same one however many runs have copied it since.
        FirstCallAsync("call_key = @key AND run_id <> @id ORDER BY run_id", cancellationToken, ("@id", exceptRunId), ("@key", callKey));

    /// <inheritdoc/>
    public Task<IReadOnlyList<CallTotals>> GetCallTotalsAsync(string runId, CancellationToken cancellationToken = default) => Locked(async () =>
    {
        // Grouped with the replica too (string aggregation differs between the engines), then merged here.
        var groups = new List<(CallTotals Totals, string? Replica)>();
        await using var reader = await Command("""
            SELECT phase, model, model_index, kind, replica, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(latency_ms)
            FROM calls WHERE run_id = @id GROUP BY phase, model, model_index, kind, replica
            """, null, ("@id", runId)).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            groups.Add((new CallTotals(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt32(2), reader.GetString(3),
                Convert.ToInt64(reader.GetValue(5), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(6), CultureInfo.InvariantCulture),
                Convert.ToInt64(reader.GetValue(7), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(8), CultureInfo.InvariantCulture), []),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return (IReadOnlyList<CallTotals>)[.. groups
            .GroupBy(g => (g.Totals.Phase, g.Totals.Model, g.Totals.ModelIndex, g.Totals.Kind))
            .OrderBy(g => g.Key.Phase, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.ModelIndex)
            .ThenBy(g => g.Key.Kind, StringComparer.Ordinal)
            .Select(g => new CallTotals(g.Key.Phase, g.Key.Model, g.Key.ModelIndex, g.Key.Kind, g.Sum(x => x.Totals.Calls), g.Sum(x => x.Totals.PromptTokens),
                g.Sum(x => x.Totals.CompletionTokens), g.Sum(x => x.Totals.LatencyMs),
                [.. g.Select(x => x.Replica).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]))];
    });

    /// <inheritdoc/>
    public Task<string?> GetCheckpointAsync(string runId, string phase, string key, CancellationToken cancellationToken = default) => Locked(async () =>
        (string?)await Scalar("SELECT state FROM checkpoints WHERE run_id = @id AND phase = @phase AND key = @key", null, cancellationToken,
            ("@id", runId), ("@phase", phase), ("@key", key)).ConfigureAwait(false));

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
        GC.SuppressFinalize(this);
    }

    private Task<CallRecord?> FirstCallAsync(string condition, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        Locked(async () =>
    {
        await using var reader = await Command($"""
            SELECT run_id, call_key, phase, kind, model_index, item_key, sample_index, result, prompt_tokens, completion_tokens, latency_ms, replica, model
            FROM calls WHERE {condition} LIMIT 1
            """, null, parameters).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadCall(reader) : null;
    });

    private static CallRecord ReadCall(DbDataReader r) => new(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4),
        r.GetString(5), r.GetInt32(6), r.GetString(7), r.GetInt32(8), r.GetInt32(9), r.GetInt32(10), r.IsDBNull(11) ? null : r.GetString(11),
        r.IsDBNull(12) ? null : r.GetString(12));

    // A null is sent untyped, so a parameter only compared with NULL is written CAST(@p AS TEXT) for PostgreSQL to type it.
    internal DbCommand Command(string sql, DbTransaction? transaction, params (string Name, object? Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    internal object? Time(DateTimeOffset? time) => time is { } t ? TimeValue(t) : null;

    private async Task<object?> Scalar(string sql, DbTransaction? transaction, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var value = await Command(sql, transaction, parameters).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is DBNull ? null : value;
    }

    /// <summary>Runs one statement outside any batch.</summary>
    private protected Task ExecuteAsync(string sql, CancellationToken cancellationToken) => Command(sql, null).ExecuteNonQueryAsync(cancellationToken);

    private async Task<T> Locked<T>(Func<Task<T>> action)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<List<RunRecord>> ReadRuns(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        var runs = new List<RunRecord>();
        await using var reader = await Command(sql, null, parameters).ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string? S(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : reader.GetString(reader.GetOrdinal(column));
            long? L(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : Convert.ToInt64(reader.GetValue(reader.GetOrdinal(column)), CultureInfo.InvariantCulture);
            DateTimeOffset? T(string column) => reader.IsDBNull(reader.GetOrdinal(column)) ? null : ReadTime(reader, reader.GetOrdinal(column));
            var run = new NewRun(S("id")!, S("owner") ?? "", S("method")!, S("task")!, S("task_type")!,
                JsonSerializer.Deserialize<List<string>>(S("model_names")!)!, S("compat")!, unchecked((ulong)L("seed")!.Value), S("config_text")!,
                S("resolved_config")!, (int?)L("limit_items"), L("limit_seed") is { } ls ? unchecked((ulong)ls) : null, S("dataset_sha256")!,
                S("model_fingerprints")!, S("moco_version")!, (int)L("method_version")!.Value, S("mode")!, T("created_at")!.Value);
            runs.Add(new RunRecord(run, RunStateNames.Parse(S("status")!), S("owner"), T("heartbeat"),
                L("cancel_requested") == 1, S("config_sha256")!, T("finished_at"),
                reader.IsDBNull(reader.GetOrdinal("test_score")) ? null : reader.GetDouble(reader.GetOrdinal("test_score")), (int?)L("test_items"),
                S("reference_log"), S("error_code"), S("error_message")));
        }
        return runs;
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 text (config_sha256, item content).</summary>
    internal static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
