using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using MoCo.Cli;
using MoCo.Cli.Embedded;
using MoCo.Contracts.V1;
using MoCo.Testing.Inference;

namespace MoCo.IntegrationTests;

/// <summary>`moco run` end to end in embedded mode: the real inference service (libmoco, a tiny random checkpoint with a
/// byte tokenizer), the real evaluator over a 3-item subset of a MoCo dataset, the run engine, the logs and the results
/// table; then `moco runs list|show` over the same store and a resume of the finished run that only rewrites its logs.</summary>
[Collection(RunEndToEndCollection.Name)]
public sealed class RunEndToEndTests : IDisposable
{
    private const string Model = GoldenModels.Llama;
    private readonly GoldenModels _models = new(contextTokens: 4096);
    private readonly string _dir = Directory.CreateTempSubdirectory("moco-run-e2e-").FullName;

    public void Dispose()
    {
        _models.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    internal static string DataDir => Environment.GetEnvironmentVariable("MOCO_DATA_DIR")?.Split(Path.PathSeparator)[0]
        ?? Path.GetFullPath(Path.Combine(GoldenModels.GoldenRoot, "..", "..", "..", "..", "..", "..", "..", "shared", "datasets", "moco"));

    private async Task<(int Code, string Out, string Err)> Moco(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MocoCommandLine.InvokeAsync([.. args, "--store", Path.Combine(_dir, "runs.db")], output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Config(string method, string models, string extra = "")
    {
        var path = Path.Combine(_dir, method + ".json");
        File.WriteAllText(path, $$"""
            {"method": "{{method}}", "task": "agieval_tiny", "task_type": "multiple_choice", "gpu_ids": [-1],
             "model_names": [{{models}}], "hyperparameters": {"max_response_length": 8, "temperature": 0, "top_p": 1.0, "batch_size": 4{{extra}}},
             "seed": 11}
            """);
        return path;
    }

    [Fact]
    public async Task Majority_vote_runs_end_to_end_writes_logs_prints_the_table_and_resumes()
    {
        var logs = Path.Combine(_dir, "logs");
        var config = Config("text_majority_vote", $"\"{Model}\", \"{Model}\", \"{Model}\"");
        var (code, output, error) = await Moco("run", config, "-l", logs, "--limit", "3", "--data-dir", DataDir, "--models-dir", _models.Root, "--device", "cpu");
        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");
        Assert.Contains("text_majority_vote (3 models)", output);
        Assert.Contains(Model, output);
        Assert.Contains("✓ test · generate", error);

        var runDir = Directory.GetDirectories(Path.Combine(logs, "moco")).Single();
        var log = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(runDir, "agieval_tiny_3_*_majority_vote.json").Single()))!.AsObject();
        var entries = log["logs"]!.AsArray();
        Assert.Equal(3, entries.Count);
        // Greedy decoding of one model three times: every vote is unanimous, so the output is that model's answer and
        // the method's score equals the model's own (methods-text.md §1 acceptance (b)).
        foreach (var entry in entries)
        {
            var raw = entry!["raw_output"]!.AsArray().Select(n => n?.ToString()).Distinct().ToList();
            Assert.Single(raw);
            Assert.Equal(raw[0], entry["output"]?.ToString());
        }
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "run.json")))!;
        Assert.Equal((double)log["avg_test_score"]!, (double)run["baselines"]![0]!["test"]!, 9);

        var (listed, list, _) = await Moco("runs", "list", "--json");
        Assert.Equal(0, listed);
        Assert.Contains("text_majority_vote", list);
        var (shown, show, _) = await Moco("runs", "show", "last", "--json");
        Assert.Equal(0, shown);
        Assert.Equal("RUN_STATUS_SUCCEEDED", (string)JsonNode.Parse(show)!["status"]!);

        // Resuming a finished run replays it from the store: same log, nothing generated again.
        var (resumed, _, resumeError) = await Moco("run", "--resume", "last", "-l", logs, "--data-dir", DataDir, "--models-dir", _models.Root);
        Assert.True(resumed == 0, resumeError);
    }

    [Fact]
    public async Task Quiet_prints_the_score_line_alone_and_progress_none_or_no_table_drop_their_part()
    {
        var config = Config("single_model", $"\"{Model}\"");
        string[] common = ["--limit", "2", "--data-dir", DataDir, "--models-dir", _models.Root, "--device", "cpu"];

        var quiet = await Moco(["run", config, "-l", Path.Combine(_dir, "quiet"), "-q", .. common]);
        Assert.True(quiet.Code == 0, quiet.Err);
        Assert.Equal("", quiet.Err);
        var line = Assert.Single(quiet.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // A --limit run is partial: no top-level log, so the line names the run's folder.
        Assert.Matches(@"^score \d\.\d{3} → .*quiet/moco/\d{8}-\d{6}-\w{4}$", line);

        var silent = await Moco(["run", config, "-l", Path.Combine(_dir, "silent"), "--progress", "none", .. common]);
        Assert.True(silent.Code == 0, silent.Err);
        Assert.DoesNotContain("▸", silent.Err);
        Assert.Contains("single_model", silent.Out);

        var plain = await Moco(["run", config, "-l", Path.Combine(_dir, "plain"), "--progress", "plain", "--no-table", .. common]);
        Assert.True(plain.Code == 0, plain.Err);
        Assert.Contains("✓ test · generate", plain.Err);
        Assert.Equal("", plain.Out);

        var saved = Environment.GetEnvironmentVariable("MOCO_PROGRESS");
        try
        {
            Environment.SetEnvironmentVariable("MOCO_PROGRESS", "fancy");
            var refused = await Moco(["run", config, "-l", Path.Combine(_dir, "refused"), .. common]);
            Assert.Equal(ExitCodes.Usage, refused.Code);
            Assert.Contains("MOCO_PROGRESS", refused.Err);
            Environment.SetEnvironmentVariable("MOCO_PROGRESS", "json");
            var json = await Moco(["run", config, "-l", Path.Combine(_dir, "json"), .. common]);
            Assert.True(json.Code == 0, json.Err);
            Assert.All(json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.StartsWith("{\"v\":1", l));
        }
        finally
        {
            Environment.SetEnvironmentVariable("MOCO_PROGRESS", saved);
        }
    }

    [Fact]
    public async Task Runs_reuse_earlier_calls_json_items_lists_items_no_cache_recomputes_and_reports_compare_them()
    {
        var config = Config("single_model", $"\"{Model}\"");
        string[] common = ["--limit", "2", "--data-dir", DataDir, "--models-dir", _models.Root, "--device", "cpu", "--json-items"];
        List<JsonObject> Events(string output) => [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())];
        int Reused(List<JsonObject> events) => events.Where(e => (string)e["type"]! == "phase_finished").Sum(e => (int?)e["reused_calls"] ?? 0);

        var first = await Moco(["run", config, "-l", Path.Combine(_dir, "first"), "--report", .. common]);
        Assert.True(first.Code == 0, first.Err);
        var firstEvents = Events(first.Out);
        var firstId = (string)firstEvents[0]["run_id"]!;
        var report = Path.Combine(_dir, "first", "moco", firstId, "report.html");
        Assert.Contains($"report: {report}", first.Err);
        Assert.Contains("Score distributions", File.ReadAllText(report));
        Assert.Equal(0, Reused(firstEvents));
        Assert.Equal([0, 1], firstEvents.Where(e => (string)e["type"]! == "item_finished" && (string)e["phase"]! == "test").Select(e => (int?)e["index"] ?? 0).Order());

        var second = await Moco(["run", config, "-l", Path.Combine(_dir, "second"), .. common]);
        Assert.True(second.Code == 0, second.Err);
        var secondEvents = Events(second.Out);
        // Every call the first run stored (a prompt over the model's context fails and is not stored, so it runs again).
        using (var store = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_dir, "runs.db")};Pooling=False"))
        {
            store.Open();
            using var count = store.CreateCommand();
            count.CommandText = "SELECT COUNT(*) FROM calls WHERE run_id = $id";
            count.Parameters.AddWithValue("$id", firstId);
            var stored = (long)count.ExecuteScalar()!;
            Assert.True(stored > 0);
            Assert.Equal(stored, Reused(secondEvents));
        }
        double? Score(List<JsonObject> events) => (double?)events.Single(e => (string)e["type"]! == "run_finished")["score"];
        Assert.Equal(Score(firstEvents), Score(secondEvents));

        var third = await Moco(["run", config, "-l", Path.Combine(_dir, "third"), "--no-cache", .. common]);
        Assert.True(third.Code == 0, third.Err);
        Assert.Equal(0, Reused(Events(third.Out)));
        Assert.Equal(Score(firstEvents), Score(Events(third.Out)));

        var compared = await Moco("report", firstId, (string)secondEvents[0]["run_id"]!, "--md", "-o", "-");
        Assert.True(compared.Code == 0, compared.Err);
        Assert.StartsWith("# MoCo.NET: 2 runs compared", compared.Out);
        Assert.Equal(2, (await Moco("report", "nope")).Code);
    }

    [Fact]
    public async Task A_run_on_a_server_streams_its_events_and_the_cli_writes_the_logs_locally()
    {
        var saved = new[] { "MOCO_DATA_DIR", "MOCO_RUN_STORE", "MOCO_LOG_DIR" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        Environment.SetEnvironmentVariable("MOCO_DATA_DIR", DataDir);
        Environment.SetEnvironmentVariable("MOCO_RUN_STORE", Path.Combine(_dir, "server-runs.db"));
        Environment.SetEnvironmentVariable("MOCO_LOG_DIR", Path.Combine(_dir, "server-logs"));
        try
        {
            await using var cluster = await EmbeddedCluster.StartBackendsAsync(["inference", "evaluator", "orchestrator"],
                new ServeSettings { QuietLogs = true, ModelDirectories = [_models.Root] }, default);
            var server = cluster.Find("orchestrator")!.GrpcAddress.ToString();
            var logs = Path.Combine(_dir, "client-logs");
            var output = new StringWriter();
            var error = new StringWriter();
            var code = await MocoCommandLine.InvokeAsync(["run", Config("single_model", $"\"{Model}\""), "--server", server, "--limit", "3", "-l", logs], output, error);
            Assert.True(code == 0, $"exit {code}\n{error}\n{output}");
            Assert.Contains("single_model (1 model)", output.ToString());
            var runDir = Directory.GetDirectories(Path.Combine(logs, "moco")).Single();
            Assert.Equal(3, File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Length);
            Assert.Single(Directory.GetFiles(runDir, $"agieval_tiny_{Model}_*_single_model.json"));

            using var channel = GrpcChannel.ForAddress(server);
            var client = new OrchestratorService.OrchestratorServiceClient(channel);
            var record = (await client.GetRunAsync(new GetRunRequest { Run = "last", Items = true })).Run;
            Assert.Equal(RunStatus.Succeeded, record.Status);
            Assert.Equal("server", record.Mode);
            Assert.Equal(3, record.Items.Count);
            // One Generate stored per item the model answered (a prompt over its context is refused and not stored).
            var answered = record.Items.Count(i => !(i.Fields["extras"].StructValue?.Fields.ContainsKey("error") ?? false));
            Assert.InRange(answered, 1, 3);
            var calls = Assert.Single(record.ModelCalls);
            Assert.Equal((Model, "generate", (long)answered), (calls.Model, calls.Kind, calls.Calls));
            Assert.Equal(record.Phases.Sum(p => p.CompletionTokens), calls.CompletionTokens);
            Assert.Single((await client.ListRunsAsync(new ListRunsRequest())).Runs);
            var invalid = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                using var call = client.StartRun(new StartRunRequest { ConfigText = "{\"method\": \"nope\"}" });
                await foreach (var _ in call.ResponseStream.ReadAllAsync())
                {
                }
            });
            Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
            var missing = await Assert.ThrowsAsync<RpcException>(async () => await client.CancelRunAsync(new CancelRunRequest { Run = "nope" }));
            Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    [Fact]
    public async Task A_run_through_the_gateway_detaches_and_is_watched_to_the_end_with_its_logs_written_locally()
    {
        var saved = new[] { "MOCO_DATA_DIR", "MOCO_RUN_STORE", "MOCO_LOG_DIR", "MOCO_SERVER" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        Environment.SetEnvironmentVariable("MOCO_DATA_DIR", DataDir);
        Environment.SetEnvironmentVariable("MOCO_RUN_STORE", Path.Combine(_dir, "cluster-runs.db"));
        Environment.SetEnvironmentVariable("MOCO_LOG_DIR", Path.Combine(_dir, "cluster-logs"));
        Environment.SetEnvironmentVariable("MOCO_SERVER", null);
        try
        {
            // The whole cluster behind one gateway address, as `moco serve all` (and a deployment) runs it.
            await using var cluster = await EmbeddedCluster.StartAllAsync(new ServeSettings
            {
                QuietLogs = true, ModelDirectories = [_models.Root], GrpcPort = 0, AdminPort = 0,
            }, default);
            var gateway = cluster.Gateway!.GrpcAddress.ToString();
            var config = Config("text_majority_vote", $"\"{Model}\", \"{Model}\"");

            var refused = await Cli("run", config, "--detach");
            Assert.Equal(2, refused.Code);
            Assert.Contains("--detach needs a server", refused.Err);

            var detached = await Cli("run", config, "--gateway", gateway, "--limit", "2", "--detach");
            Assert.True(detached.Code == 0, $"exit {detached.Code}\n{detached.Err}\n{detached.Out}");
            Assert.Contains("moco runs watch", detached.Out);

            var logs = Path.Combine(_dir, "watched-logs");
            var watched = await Cli("runs", "watch", "last", "--gateway", gateway, "-l", logs);
            Assert.True(watched.Code == 0, $"exit {watched.Code}\n{watched.Err}\n{watched.Out}");
            Assert.Contains("text_majority_vote (2 models)", watched.Out);
            var runDir = Directory.GetDirectories(Path.Combine(logs, "moco")).Single();
            Assert.Equal(2 * 2, File.ReadAllLines(Path.Combine(runDir, "items.jsonl")).Length);
            Assert.Single(Directory.GetFiles(runDir, "agieval_tiny_2_*_majority_vote.json"));

            var listed = await Cli("runs", "list", "--gateway", gateway, "--json");
            Assert.Equal(0, listed.Code);
            var runs = JsonNode.Parse(listed.Out)!.AsArray();
            Assert.Equal("text_majority_vote", (string)runs.Single()!["method"]!);
            Assert.Equal("server", (string)runs.Single()!["mode"]!);
            var shown = await Cli("runs", "show", "last", "--server", gateway, "--json");
            Assert.Equal("RUN_STATUS_SUCCEEDED", (string)JsonNode.Parse(shown.Out)!["status"]!);
            var missing = await Cli("runs", "cancel", "nope", "--gateway", gateway);
            Assert.Equal(2, missing.Code);
            Assert.Contains("nope", missing.Err);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    /// <summary>The CLI in this process: its exit code, stdout and stderr.</summary>
    internal static async Task<(int Code, string Out, string Err)> Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await MocoCommandLine.InvokeAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Single_model_runs_end_to_end_in_the_reference_form()
    {
        var logs = Path.Combine(_dir, "ref-logs");
        var config = Config("single_model", $"\"{Model}\"");
        // The reference form takes only -c and -l: models, data and store come from the environment.
        var saved = new[] { "MOCO_MODELS_DIR", "MOCO_DATA_DIR", "MOCO_RUN_STORE" }.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        Environment.SetEnvironmentVariable("MOCO_MODELS_DIR", _models.Root);
        Environment.SetEnvironmentVariable("MOCO_DATA_DIR", DataDir);
        Environment.SetEnvironmentVariable("MOCO_RUN_STORE", Path.Combine(_dir, "runs.db"));
        int code;
        var output = new StringWriter();
        var error = new StringWriter();
        try
        {
            // The full test split (40 items), so the run is complete and the top-level reference log is written.
            code = await MocoCommandLine.InvokeAsync(["-c", config, "-l", logs], output, error);
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");
        var top = Directory.GetFiles(logs, "agieval_tiny_*_single_model.json").Single();
        Assert.StartsWith($"agieval_tiny_{Model}_", Path.GetFileName(top));
        var log = JsonNode.Parse(File.ReadAllText(top))!.AsObject();
        Assert.Equal(["task", "task_type", "model_names", "hyperparameters", "avg_test_score", "logs", "moco"], log.Select(p => p.Key).ToList());
        Assert.Equal(40, log["logs"]!.AsArray().Count);
    }
}

/// <summary>The end-to-end runs set process-wide MOCO_* variables for the reference form: no other test runs beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunEndToEndCollection
{
    public const string Name = "moco run end to end";
}
