using System.Text.Json;
using System.Data.Common;

namespace MoCo.Orchestrator.Runs;

/// <summary>A transaction of a run store: insert-or-ignore per unique key, then a comparison with what is stored
/// tells a harmless duplicate from a conflicting rewrite (config-and-cli.md §5.2).</summary>
internal sealed class SqlWriteBatch(SqlRunStore store, DbTransaction transaction) : IRunWriteBatch
{
    private bool _ended;

    public async Task<PutOutcome> PutItemAsync(ItemRecord item, CancellationToken cancellationToken = default)
    {
        var content = SqlRunStore.Sha256(JsonSerializer.Serialize(item with { LatencyMs = 0, PromptTokens = 0, CompletionTokens = 0 }));
        var inserted = await store.Command("""
            INSERT INTO items (run_id, phase, split, idx, item_id, input, output, parsed, score, extras, model, latency_ms, prompt_tokens,
                completion_tokens, content_sha256)
            VALUES (@run, @phase, @split, @idx, @id, @input, @output, @parsed, @score, @extras, @model, @latency, @prompt, @completion, @sha)
            ON CONFLICT DO NOTHING
            """, transaction, ("@run", item.RunId), ("@phase", item.Phase), ("@split", item.Split), ("@idx", item.Index), ("@id", item.ItemId),
            ("@input", item.Input), ("@output", item.Output), ("@parsed", item.Parsed), ("@score", item.Score), ("@extras", item.ExtrasJson),
            ("@model", item.Model), ("@latency", item.LatencyMs), ("@prompt", item.PromptTokens), ("@completion", item.CompletionTokens), ("@sha", content))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (inserted == 1)
        {
            return PutOutcome.Inserted;
        }
        var stored = (string?)await store.Command("SELECT content_sha256 FROM items WHERE run_id = @run AND phase = @phase AND split = @split AND idx = @idx",
            transaction, ("@run", item.RunId), ("@phase", item.Phase), ("@split", item.Split), ("@idx", item.Index))
            .ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return stored == content ? PutOutcome.Duplicate : PutOutcome.Conflict;
    }

    public async Task<PutOutcome> PutCallAsync(CallRecord call, CancellationToken cancellationToken = default)
    {
        var inserted = await store.Command("""
            INSERT INTO calls (run_id, call_key, phase, kind, model_index, item_key, sample_index, result, prompt_tokens, completion_tokens, latency_ms, replica,
                model)
            VALUES (@run, @key, @phase, @kind, @model, @item, @sample, @result, @prompt, @completion, @latency, @replica, @model_name)
            ON CONFLICT DO NOTHING
            """, transaction, ("@run", call.RunId), ("@key", call.CallKey), ("@phase", call.Phase), ("@kind", call.Kind), ("@model", call.ModelIndex),
            ("@item", call.ItemKey), ("@sample", call.SampleIndex), ("@result", call.ResultJson), ("@prompt", call.PromptTokens),
            ("@completion", call.CompletionTokens), ("@latency", call.LatencyMs), ("@replica", call.Replica),
            ("@model_name", call.Model))
            .ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        if (inserted == 1)
        {
            return PutOutcome.Inserted;
        }
        var stored = (string?)await store.Command("SELECT result FROM calls WHERE run_id = @run AND call_key = @key", transaction,
            ("@run", call.RunId), ("@key", call.CallKey)).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return stored == call.ResultJson ? PutOutcome.Duplicate : PutOutcome.Conflict;
    }

    public Task PutPhaseAsync(string runId, PhaseRecord phase, CancellationToken cancellationToken = default) =>
        store.Command("""
            INSERT INTO phases (run_id, seq, name, status, total, done, started_at, finished_at, prompt_tokens, completion_tokens)
            VALUES (@run, (SELECT COUNT(*) FROM phases WHERE run_id = @run), @name, @status, @total, @done, @started, @finished, @prompt, @completion)
            ON CONFLICT (run_id, name) DO UPDATE SET status = excluded.status, total = excluded.total, done = excluded.done,
                finished_at = excluded.finished_at, prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens
            """, transaction, ("@run", runId), ("@name", phase.Name), ("@status", phase.Status), ("@total", phase.Total), ("@done", phase.Done),
            ("@started", store.Time(phase.StartedAt)), ("@finished", store.Time(phase.FinishedAt)),
            ("@prompt", phase.PromptTokens), ("@completion", phase.CompletionTokens)).ExecuteNonQueryAsync(cancellationToken);

    public Task PutCheckpointAsync(string runId, string phase, string key, string stateJson, CancellationToken cancellationToken = default) =>
        store.Command("""
            INSERT INTO checkpoints (run_id, phase, key, state) VALUES (@run, @phase, @key, @state)
            ON CONFLICT (run_id, phase, key) DO UPDATE SET state = excluded.state
            """, transaction, ("@run", runId), ("@phase", phase), ("@key", key), ("@state", stateJson)).ExecuteNonQueryAsync(cancellationToken);

    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_ended, this);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        await EndAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_ended)
        {
            return;
        }
        try
        {
            // Not committed: roll back, so a crash or an exception mid-batch leaves nothing half-written.
            await transaction.RollbackAsync().ConfigureAwait(false);
        }
        finally
        {
            await EndAsync().ConfigureAwait(false);
        }
    }

    // The next batch may use the connection only once this transaction is disposed: disposing it touches the connection
    // (Npgsql closes the operations it thinks are ongoing), and overlapping the next batch's commands hung both.
    private async Task EndAsync()
    {
        _ended = true;
        try
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            store.EndBatch();
        }
    }
}
