namespace MoCo.Orchestrator.Runs;

/// <summary>The run store schema on PostgreSQL: <see cref="SqliteSchema"/>'s tables, columns and keys with
/// PostgreSQL's types (times as timestamptz, 64-bit seeds and token counts as bigint). Keys that runs and items are
/// ordered by use the "C" collation, so both engines sort them bytewise whatever the database's locale.</summary>
internal static class PostgresSchema
{
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE runs (
            id TEXT COLLATE "C" PRIMARY KEY,
            status TEXT NOT NULL,
            owner TEXT,
            heartbeat TIMESTAMPTZ,
            cancel_requested INTEGER NOT NULL DEFAULT 0,
            method TEXT NOT NULL,
            task TEXT NOT NULL,
            task_type TEXT NOT NULL,
            model_names TEXT NOT NULL,
            compat TEXT NOT NULL,
            seed BIGINT NOT NULL,
            config_text TEXT NOT NULL,
            config_sha256 TEXT NOT NULL,
            resolved_config TEXT NOT NULL,
            limit_items INTEGER,
            limit_seed BIGINT,
            dataset_sha256 TEXT NOT NULL,
            model_fingerprints TEXT NOT NULL,
            moco_version TEXT NOT NULL,
            method_version INTEGER NOT NULL,
            mode TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            test_score DOUBLE PRECISION,
            test_items INTEGER,
            reference_log TEXT,
            error_code TEXT,
            error_message TEXT
        );
        CREATE INDEX runs_created ON runs (created_at DESC);
        CREATE TABLE phases (
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            total INTEGER NOT NULL,
            done INTEGER NOT NULL,
            started_at TIMESTAMPTZ NOT NULL,
            finished_at TIMESTAMPTZ,
            prompt_tokens BIGINT NOT NULL,
            completion_tokens BIGINT NOT NULL,
            PRIMARY KEY (run_id, name)
        );
        CREATE TABLE calls (
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
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
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            phase TEXT COLLATE "C" NOT NULL,
            split TEXT COLLATE "C" NOT NULL,
            idx INTEGER NOT NULL,
            item_id TEXT NOT NULL,
            input TEXT NOT NULL,
            output TEXT NOT NULL,
            parsed TEXT,
            score DOUBLE PRECISION,
            extras TEXT NOT NULL,
            model TEXT,
            latency_ms INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            content_sha256 TEXT NOT NULL,
            UNIQUE (run_id, phase, split, idx)
        );
        CREATE TABLE checkpoints (
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            phase TEXT NOT NULL,
            key TEXT NOT NULL,
            state TEXT NOT NULL,
            PRIMARY KEY (run_id, phase, key)
        );
        CREATE TABLE artifacts (
            run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            path TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        );
        """,
    ];
}
