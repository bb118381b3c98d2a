namespace MoCo.Orchestrator.Runs;

/// <summary>
/// The run store schema (config-and-cli.md §5.1: one schema for SQLite and PostgreSQL) as ordered migrations;
/// `schema_version` records how many ran. The column types the engines name differently are placeholders: times
/// (fixed-width UTC text on SQLite, timestamptz on PostgreSQL), doubles, 64-bit integers (seeds, token totals), and
/// the keys runs and items are ordered by, which PostgreSQL compares bytewise ("C" collation) as SQLite does.
/// </summary>
internal sealed record RunSchema(string Time, string Real, string Int64, string SortedText)
{
    /// <summary>SQLite's types.</summary>
    public static RunSchema Sqlite { get; } = new("TEXT", "REAL", "INTEGER", "TEXT");

    /// <summary>PostgreSQL's types.</summary>
    public static RunSchema Postgres { get; } = new("TIMESTAMPTZ", "DOUBLE PRECISION", "BIGINT", "TEXT COLLATE \"C\"");

    // Append only: a store that ran migration N never runs it again.
    private static readonly string[] Templates =
    [
        """
        CREATE TABLE runs (
            id {SortedText} PRIMARY KEY,
            status TEXT NOT NULL,
            owner TEXT,
            heartbeat {Time},
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            method TEXT NOT NULL,
            task TEXT NOT NULL,
            task_type TEXT NOT NULL,
            model_names TEXT NOT NULL,
            compat TEXT NOT NULL,
            seed {Int64} NOT NULL,
            config_text TEXT NOT NULL,
            config_sha256 TEXT NOT NULL,
            resolved_config TEXT NOT NULL,
            limit_items INTEGER,
            limit_seed {Int64},
            dataset_sha256 TEXT NOT NULL,
            model_fingerprints TEXT NOT NULL,
            moco_version TEXT NOT NULL,
            method_version INTEGER NOT NULL,
            mode TEXT NOT NULL,
            created_at {Time} NOT NULL,
            finished_at {Time},
            test_score {Real},
            test_items INTEGER,
            reference_log TEXT,
            error_code TEXT,
            error_message TEXT
        );
        CREATE INDEX runs_created ON runs (created_at DESC);
        CREATE TABLE phases (
            run_id {SortedText} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            total INTEGER NOT NULL,
            done INTEGER NOT NULL,
            started_at {Time} NOT NULL,
            finished_at {Time},
            prompt_tokens {Int64} NOT NULL,
            completion_tokens {Int64} NOT NULL,
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE calls (
            run_id {SortedText} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            call_key TEXT NOT NULL,
            phase TEXT NOT NULL,
            kind TEXT NOT NULL,
            model_index INTEGER NOT NULL,
            item_key TEXT NOT NULL,
            sample_index INTEGER NOT NULL,
            result TEXT NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            latency_ms INTEGER NOT NULL,
            replica TEXT,
            UNIQUE (run_id, call_key)
        );
        CREATE TABLE items (
            run_id {SortedText} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            phase {SortedText} NOT NULL,
            split {SortedText} NOT NULL,
            idx INTEGER NOT NULL,
            item_id TEXT NOT NULL,
            input TEXT NOT NULL,
            output TEXT NOT NULL,
            parsed TEXT,
            score {Real},
            extras TEXT NOT NULL,
            model TEXT,
            latency_ms INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            content_sha256 TEXT NOT NULL,
            UNIQUE (run_id, phase, split, idx)
        );
        CREATE TABLE checkpoints (
            run_id {SortedText} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            phase TEXT NOT NULL,
            key TEXT NOT NULL,
            state TEXT NOT NULL,
            PRIMARY KEY (run_id, phase, key)
        );
        CREATE TABLE artifacts (
            run_id {SortedText} NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        );
        """,
        // Cross-run reuse (config-and-cli.md §5.2) looks a call up by its key alone.
        "CREATE INDEX calls_key ON calls (call_key);",
        // The model a call went to as the method named it (model_index is -1 for ensembles, trained and embedding
        // models): per-model call totals. Null in calls stored before this migration.
        "ALTER TABLE calls ADD COLUMN model TEXT;",
    ];

    /// <summary>The migrations with this engine's types.</summary>
    public string[] Migrations => [.. Templates.Select(t =>
        t.Replace("{Time}", Time, StringComparison.Ordinal).Replace("{Real}", Real, StringComparison.Ordinal)
            .Replace("{Int64}", Int64, StringComparison.Ordinal).Replace("{SortedText}", SortedText, StringComparison.Ordinal))];
}
