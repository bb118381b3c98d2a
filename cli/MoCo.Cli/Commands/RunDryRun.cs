using System.Globalization;
using System.Text.Json.Nodes;
using MoCo.Evaluator.Datasets;
using MoCo.Hosting;
using MoCo.Models.Catalog;
using MoCo.Native;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Engine;
using MoCo.Orchestrator.Methods;

namespace MoCo.Cli.Commands;

/// <summary>`moco run --dry-run` (config-and-cli.md §4.1): validates the config as a run would, resolves its dataset,
/// models and device on this machine, and prints the plan — config.resolved.json's content plus the folders, rules and
/// device of every model, split sizes after `--limit`, the seed's origin, baselines and cross-run reuse — without
/// starting a service or touching the run store. `--json` prints it as one object.</summary>
internal static class RunDryRun
{
    public static int Print(string file, string text, RunSettings settings, MocoEnvironment environment, string? server, TextWriter output, TextWriter error)
    {
        var registry = MethodRegistry.Default;
        var overrides = settings.Overrides();
        var local = settings.LocalEnvironment(environment);
        // A server places models itself (§2.3): this machine's GPUs are not the config's to check then.
        var runEnvironment = server is null ? local : local with { Devices = null };
        var models = runEnvironment.Models!;
        ValidationResult validation;
        try
        {
            validation = RunEngine.Check(text, file, Path.GetDirectoryName(Path.GetFullPath(file)), overrides, runEnvironment, registry);
        }
        catch (RunRejectedException e)
        {
            return RunCommand.Refused(e, file, error);
        }
        catch (MethodNotImplementedException e)
        {
            return RunCommand.NotBuilt(e, error);
        }
        var config = validation.Config!;
        foreach (var problem in validation.Problems)
        {
            error.WriteLine(problem.Format(file));
        }
        // The devices an embedded run's inference replicas would open here (§2.3), one each, as the run places them.
        var replicas = DevicePlacement.For(config, local.Devices!) is { } placement
            ? ReplicaPlan.Of(placement, config.ModelNames, placement.Implied(config, registry.Find(config.Method), local.Devices!.CudaDevices))
            : null;
        string DeviceOf(string model) => replicas?.DeviceOf(model) ?? "auto";

        var limit = overrides.Limit ?? config.Evaluation.Limit;
        var limitSeed = overrides.LimitSeed ?? config.Evaluation.LimitSeed;
        var seed = overrides.Seed ?? config.Seed;
        var plan = ResolvedConfig.Build(config, seed ?? 0, limit, limitSeed);
        plan["dry_run"] = true;
        plan["seed"] = seed;
        plan["seed_source"] = overrides.Seed is not null ? "flag" : config.Seed is not null ? "config" : "drawn at start";
        plan["device"] = replicas is null ? "auto" : string.Join(", ", replicas.Groups.Select(g => g.Device));
        plan["data"] = Data(config, limit);
        plan["models"] = new JsonArray([.. config.ModelNames.Select((name, i) => (JsonNode)Model(models, config, name, DeviceOf(name), i, null))]);
        plan["implied_models"] = new JsonArray([.. ModelAddresses.KeyModelRoles(config, registry.Find(config.Method))
            .Where(r => !config.ModelNames.Contains(r.Name, StringComparer.Ordinal))
            .Select(r => (JsonNode)Model(models, config, r.Name, DeviceOf(r.Name), null, r.Key))]);
        plan["baselines"] = new JsonArray([.. (settings.NoBaselines ? [] : config.ModelNames.Distinct(StringComparer.Ordinal)).Select(m => (JsonNode?)m)]);
        plan["reuse_other_runs"] = !settings.NoCache;
        plan["server"] = server;
        plan["warnings"] = new JsonArray([.. validation.Warnings.Select(w => (JsonNode?)w.Format(file))]);

        if (settings.Json)
        {
            output.WriteLine(plan.ToJsonString());
            return ExitCodes.Success;
        }
        Human(plan, config, output);
        return ExitCodes.Success;
    }

    private static JsonObject Data(RunConfig config, int? limit)
    {
        var data = new JsonObject { ["file"] = config.DatasetPath };
        if (config.DatasetPath is not { } path)
        {
            return data;
        }
        var dataset = new DatasetCache().Load(path, config.Task);
        data["sha256"] = dataset.Sha256;
        foreach (var (split, name) in new[] { (DatasetSplit.Dev, "dev"), (DatasetSplit.Test, "test") })
        {
            var n = dataset.Has(split) ? dataset.Items(split).Count : 0;
            data["n_" + name] = n;
            data["used_" + name] = limit is { } l ? Math.Min(l, n) : n;
        }
        return data;
    }

    private static JsonObject Model(ModelResolver resolver, RunConfig config, string name, string device, int? index, string? key)
    {
        var resolution = resolver.Resolve(name, config.ConfigDirectory);
        var model = new JsonObject();
        if (index is { } i)
        {
            model["index"] = i;
        }
        if (key is not null)
        {
            model["role"] = key;
        }
        model["name"] = name;
        model["rule"] = resolution.Rule;
        model["dir"] = resolution.Directory;
        model["device"] = device;
        return model;
    }

    private static void Human(JsonObject plan, RunConfig config, TextWriter output)
    {
        string S(JsonNode? n) => n?.ToString() ?? "—";
        output.WriteLine($"plan: {config.Method} on {config.Task} ({config.TaskType}) · compat {S(plan["compat"])} · nothing was run (--dry-run)");
        var data = plan["data"]!;
        var sizes = data["n_test"] is null ? "" : $"  dev {Sizes(data, "dev")} · test {Sizes(data, "test")}" +
            (plan["limit"] is { } l ? $" (--limit {l}{(plan["limit_seed"] is { } ls ? $", random sample seed {ls}" : ", first items")})" : "");
        output.WriteLine($"  data      {S(data["file"])}{sizes}");
        output.WriteLine($"  seed      {(plan["seed"] is { } seed ? $"{seed} ({S(plan["seed_source"])})" : "drawn at start (give --seed or `seed` to repeat a run)")}");
        var spread = S(plan["device"]).Contains(',', StringComparison.Ordinal) ? " (an inference replica on each)" : "";
        output.WriteLine($"  device    {S(plan["device"])}{spread}{(plan["server"] is { } server ? $" here; a run on {server} is placed by the cluster" : "")}");
        var rows = plan["models"]!.AsArray().Select(m => new[] { $"[{m!["index"]}]", S(m["name"]), S(m["rule"]), S(m["device"]), S(m["dir"]) })
            .Concat(plan["implied_models"]!.AsArray().Select(m => new[] { S(m!["role"]), S(m["name"]), S(m["rule"]), S(m["device"]), S(m["dir"]) }))
            .Prepend(["model", "name", "rule", "device", "folder"]).ToList();
        var widths = Enumerable.Range(0, 4).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            output.WriteLine("  " + string.Join("  ", row.Select((cell, c) => c < 4 ? cell.PadRight(widths[c]) : cell)).TrimEnd());
        }
        var hyperparameters = plan["hyperparameters"]!.AsObject().Select(p => $"{p.Key}={p.Value?.ToJsonString() ?? "null"}");
        output.WriteLine($"  hyperparameters  {string.Join(", ", hyperparameters)}");
        var baselines = plan["baselines"]!.AsArray();
        output.WriteLine($"  baselines {(baselines.Count == 0 ? "none (--no-baselines)" : $"{baselines.Count} model(s) alone on test")}");
        output.WriteLine($"  reuse     {((bool)plan["reuse_other_runs"]! ? "calls other runs already made with the same key are reused (--no-cache turns this off)" : "off (--no-cache)")}");
    }

    private static string Sizes(JsonNode data, string split)
    {
        var n = (int)data["n_" + split]!;
        var used = (int)data["used_" + split]!;
        return used == n ? n.ToString(CultureInfo.InvariantCulture) : $"{used} of {n}";
    }
}
