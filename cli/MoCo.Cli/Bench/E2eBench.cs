using System.Text.Json.Nodes;
using MoCo.Cli.Embedded;
using MoCo.Contracts.V1;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods;
using MoCo.Orchestrator.Runs;

namespace MoCo.Cli.Bench;

/// <summary>
/// `moco bench e2e`: a whole collaboration run as `moco run --embedded --no-cache` does it (validation, dev and test
/// phases, scoring, logs) against `single_model` on the config's first model, same task, items and general
/// hyperparameters, run next to it in the same services: what collaborating costs in wall time per item, and what it
/// buys in score. Each is warmed up untimed (model loads, first calls, JIT), then the two alternate like every other suite's workloads. Both runs use a run store and log folder of their own, removed afterwards.
/// </summary>
public static class E2eBench
{
    /// <summary>Runs the suite on <see cref="BenchOptions.Config"/>, <see cref="BenchOptions.Limit"/> items per split.</summary>
    public static async Task<BenchSuiteResult> RunAsync(BenchOptions options, TextWriter log, CancellationToken cancel)
    {
        var configPath = Path.GetFullPath(options.Config);
        var configText = await File.ReadAllTextAsync(configPath, cancel).ConfigureAwait(false);
        var single = SingleModel(configText, configPath);
        var work = Directory.CreateTempSubdirectory("moco-bench-e2e-");
        try
        {
            await using var store = await RunStores.OpenAsync(Path.Combine(work.FullName, "runs.db"), cancel).ConfigureAwait(false);
            log.WriteLine("e2e: starting inference and evaluator");
            await using var services = await EmbeddedRunServices.StartAsync(store, new RunEnvironment(options.DataDirectories, options.Resolver),
                new ServeSettings { QuietLogs = true, ModelDirectories = options.Resolver.ModelDirectories }, ReplicaPlan.On(options.Device), cancel).ConfigureAwait(false);
            var engine = services.Engine;

            log.WriteLine($"e2e: single_model on {single.Model} and {Path.GetFileName(configPath)}, interleaved");
            var baselineRuns = new Fastest(() => RunAsync(engine, single.Text, configPath, options, work.FullName, cancel));
            var methodRuns = new Fastest(() => RunAsync(engine, configText, configPath, options, work.FullName, cancel));
            await Measure.BestOfEachAsync(options.Repeats, baselineRuns.TimeAsync, methodRuns.TimeAsync).ConfigureAwait(false);
            var (baseline, method) = (baselineRuns.Result!, methodRuns.Result!);
            var rows = new List<BenchRow>
            {
                Row($"single_model, {single.Model}", baseline, null, null),
                Row($"{method.Config.Method} ({method.Config.ModelNames.Count} models)", method, "single_model", baseline),
            };
            var setup = $"{Path.GetFileName(configPath)} ({method.Config.Method} on {method.Config.Task}) on {options.Device}, "
                + $"{options.Limit} items per split, --no-cache; items/s = test items over the run's wall time (dev phases, scoring and logs included)";
            return new BenchSuiteResult("e2e", setup, rows);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    // A workload of whole runs that keeps its fastest run's result, whose figure is the row's and whose score and tokens
    // go in its note. Warm-up runs count too: they are the same runs, only earlier (so, if anything, slower).
    private sealed class Fastest(Func<Task<RunResult>> run)
    {
        public RunResult? Result { get; private set; }

        public async Task<double> TimeAsync()
        {
            var result = await run().ConfigureAwait(false);
            if (Result is null || result.Wall < Result.Wall)
            {
                Result = result;
            }
            return ItemsPerSecond(result);
        }
    }

    private static BenchRow Row(string workload, RunResult run, string? baseline, RunResult? of)
    {
        var note = $"score {run.Score:0.000} on {run.TestItems} test items, {run.Wall.TotalSeconds:F2} s, {run.CompletionTokens / run.Wall.TotalSeconds:F0} tokens/s";
        return new BenchRow(workload, ItemsPerSecond(run), "items/s", baseline, of is null ? 0 : ItemsPerSecond(of), note);
    }

    private static double ItemsPerSecond(RunResult run) => run.TestItems / run.Wall.TotalSeconds;

    private static async Task<RunResult> RunAsync(RunEngine engine, string text, string path, BenchOptions options, string work, CancellationToken cancel)
    {
        var overrides = new RunOverrides { Limit = options.Limit, NoCache = true, NoBaselines = true };
        overrides.DataDirs.AddRange(options.DataDirectories);
        RunResult result;
        try
        {
            result = await engine.StartAsync(new RunStart(text, path, Path.GetDirectoryName(path), overrides, Path.Combine(work, "logs"), new LogWriteOptions(OverwriteLogs: true),
                WantItems: false), _ => { }, cancel).ConfigureAwait(false);
        }
        catch (RunRejectedException e) when (e.Problems.Count > 0)
        {
            throw new InvalidOperationException($"{e.Message}: {string.Join("; ", e.Problems.Select(p => p.Format(Path.GetFileName(path))))}", e);
        }
        return result.Status == RunState.Succeeded ? result
            : throw new InvalidOperationException($"the e2e run of {Path.GetFileName(path)} ended {result.Status}: {result.Error?.Message}");
    }

    // The config with method single_model, its first model, and only the general hyperparameters.
    private static (string Text, string Model) SingleModel(string configText, string path)
    {
        var config = JsonNode.Parse(configText)?.AsObject() ?? throw new InvalidDataException($"{path}: not a JSON object");
        var first = config["model_names"]?.AsArray().FirstOrDefault()?.GetValue<string>()
            ?? throw new InvalidDataException($"{path}: model_names is missing or empty; the e2e suite compares the method with its first model alone");
        config["method"] = "single_model";
        config["model_names"] = new JsonArray(first);
        if (config["hyperparameters"] is JsonObject hyperparameters)
        {
            config["hyperparameters"] = new JsonObject(hyperparameters.Where(p => GeneralKeys.Names.Contains(p.Key)).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        }
        return (config.ToJsonString(), first);
    }
}
