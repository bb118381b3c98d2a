using System.CommandLine;
using System.Globalization;
using MoCo.Cli.Bench;
using MoCo.Hosting;
using MoCo.Models.Catalog;
using MoCo.Native;

namespace MoCo.Cli.Commands;

/// <summary>`moco bench [engine|fusion|merge|tokenizer|gateway|e2e]… [--model --device --json -o]` (config-and-cli.md
/// §4.1): each suite's figures as ratios against a baseline measured in the same run, never against a number from
/// another machine or day. Markdown by default (ready for an issue note), one JSON object with --json.</summary>
public static class BenchCommand
{
    private static readonly string[] DefaultModels = ["zoo/base", "zoo/math"];

    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var suites = new Argument<string[]>("suite")
        {
            Description = "Suites to run (default all): " + string.Join("; ", BenchSuites.All.Select(s => $"{s.Name}: {s.Measures}")),
            Arity = ArgumentArity.ZeroOrMore,
        };
        var model = new Option<string[]>("--model", "-m")
        {
            Description = "Model (name or folder) the suites run on, or random:125m / random:1b (a seeded random Llama of that size, written to a temporary folder); " +
                "a second one is fusion's and merge's other member (default zoo/base and zoo/math; one given is used twice).",
            AllowMultipleArgumentsPerToken = false,
        };
        var device = new Option<string?>("--device") { Description = "cpu, cuda:N or auto (default MOCO_DEVICE, else auto)." };
        var threads = new Option<int>("--threads") { Description = "Host threads of the engine; 0 = every usable core.", DefaultValueFactory = _ => 0 };
        var prompt = new Option<int>("--prompt") { Description = "Prompt tokens of prefill, decode and generation.", DefaultValueFactory = _ => 64 };
        var tokens = new Option<int>("--tokens") { Description = "New tokens per decode and generation.", DefaultValueFactory = _ => 32 };
        var batch = new Option<string>("--batch") { Description = "Decode batch sizes of the engine suite, comma-separated.", DefaultValueFactory = _ => "1,8,32" };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions of each workload after a warm-up; the best is reported.", DefaultValueFactory = _ => 3 };
        var config = new Option<string?>("--config") { Description = "The e2e suite's collaboration config (default the bundled examples/quickstart.json)." };
        var limit = new Option<int>("--limit") { Description = "Items per split of the e2e runs.", DefaultValueFactory = _ => 8 };
        var modelsDir = new Option<string[]>("--models-dir") { Description = "Model folders searched before MOCO_MODELS_DIR and the bundled zoo." };
        var dataDir = new Option<string[]>("--data-dir") { Description = "Dataset folders searched before MOCO_DATA_DIR and the bundled data." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of markdown." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report here (`-` = stdout, the default); progress goes to stderr." };
        var command = new Command("bench", "Measure this installation: each suite's figures as ratios against a baseline measured in the same run. " +
            "Exit 0 when every suite ran, 1 when one failed (the others are still reported), 2 for a usage error or unknown model, 4 for an unavailable device.")
        {
            suites, model, device, threads, prompt, tokens, batch, repeats, config, limit, modelsDir, dataDir, json, output,
        };
        command.Validators.Add(r =>
        {
            foreach (var name in r.GetValue(suites) ?? [])
            {
                if (!BenchSuites.All.Any(s => s.Name == name))
                {
                    r.AddError($"unknown suite \"{name}\": use {string.Join(", ", BenchSuites.All.Select(s => s.Name))}");
                }
            }
            if ((r.GetValue(model)?.Length ?? 0) > 2)
            {
                r.AddError("--model: give one or two models (the second is fusion's and merge's other member)");
            }
        });
        command.SetAction(async (parse, cancel) =>
        {
            var error = parse.InvocationConfiguration.Error;
            // Checked here, not in a validator: System.CommandLine fills option defaults after validators run.
            foreach (var (option, value, least) in new[] { ("--threads", parse.GetValue(threads), 0), ("--prompt", parse.GetValue(prompt), 1),
                ("--tokens", parse.GetValue(tokens), 1), ("--repeats", parse.GetValue(repeats), 1), ("--limit", parse.GetValue(limit), 1) })
            {
                if (value < least)
                {
                    return Usage(error, $"{option} is {value}; it must be at least {least}");
                }
            }
            if (Batches(parse.GetValue(batch)!) is not { } batches)
            {
                return Usage(error, $"--batch \"{parse.GetValue(batch)}\": give batch sizes from 1 to 1024, comma-separated, e.g. 1,8,32");
            }
            var environment = new MocoEnvironment();
            var resolver = LocalModels.Resolver(parse.GetValue(modelsDir) ?? [], environment);
            var chosen = parse.GetValue(suites) is { Length: > 0 } named ? named : [.. BenchSuites.All.Select(s => s.Name)];
            var configFile = parse.GetValue(config) ?? Path.Combine(environment.InstallDirectory, "examples", "quickstart.json");
            if (chosen.Contains("e2e") && !File.Exists(configFile))
            {
                error.WriteLine($"error: the e2e suite's config \"{configFile}\" does not exist\n  fix: pass --config with a collaboration config, or leave e2e out");
                return ExitCodes.Usage;
            }
            var deviceName = parse.GetValue(device) ?? environment.Device;
            try
            {
                // "auto" made concrete, so every suite and the report name the device they ran on.
                using var probe = MocoContext.Create(deviceName, parse.GetValue(threads));
                deviceName = probe.Device;
            }
            catch (MocoException e)
            {
                error.WriteLine($"error: --device {deviceName}: {e.Message}\n  fix: `moco doctor` lists this machine's devices; pass --device cpu to measure the CPU");
                return e.Status == MocoStatus.InvalidArgument ? ExitCodes.Usage : ExitCodes.Environment;
            }
            DirectoryInfo? generated = null;
            try
            {
                var models = new List<BenchModel>();
                foreach (var name in parse.GetValue(model) is { Length: > 0 } given ? given : DefaultModels)
                {
                    try
                    {
                        if (!RandomModel.Names(name))
                        {
                            models.Add(new BenchModel(name, resolver.Require(name).Directory!));
                        }
                        else if (models.Find(m => m.Name == name) is { } written)
                        {
                            models.Add(written);
                        }
                        else
                        {
                            error.WriteLine($"writing {name}");
                            generated ??= Directory.CreateTempSubdirectory("moco-bench-random-");
                            models.Add(new BenchModel(name, RandomModel.Write(name, resolver.Require("zoo/base").Directory!, generated.FullName)));
                        }
                    }
                    catch (ModelNotFoundException e)
                    {
                        error.WriteLine($"error: {e.Message}\n  fix: pass --model with a model folder, a name `moco models list` shows, or random:125m or random:1b");
                        return ExitCodes.Usage;
                    }
                    catch (ArgumentException e)
                    {
                        return Usage(error, e.Message);
                    }
                }
                var options = new BenchOptions(models, deviceName, parse.GetValue(threads), parse.GetValue(prompt), parse.GetValue(tokens), batches,
                    parse.GetValue(repeats), configFile, parse.GetValue(limit),
                    [.. (parse.GetValue(dataDir) ?? []).Select(Path.GetFullPath), .. environment.DataDirectories], resolver);
                var report = await BenchSuites.RunAsync(chosen, options, error, cancel).ConfigureAwait(false);
                var text = parse.GetValue(json) ? BenchRenderer.Json(report) + "\n" : BenchRenderer.Markdown(report);
                if (parse.GetValue(output) is { } file && file != "-")
                {
                    await File.WriteAllTextAsync(file, text, cancel).ConfigureAwait(false);
                    error.WriteLine($"wrote {Path.GetFullPath(file)}");
                }
                else
                {
                    await parse.InvocationConfiguration.Output.WriteAsync(text).ConfigureAwait(false);
                }
                return report.Failures.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
            }
            finally
            {
                generated?.Delete(recursive: true);
            }
        });
        return command;
    }

    private static int Usage(TextWriter error, string message)
    {
        error.WriteLine($"error: {message}\n  fix: see `moco bench --help`");
        return ExitCodes.Usage;
    }

    // "1,8,32" as sizes from 1 to 1024; null when any part is not one.
    private static int[]? Batches(string text)
    {
        var sizes = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size is < 1 or > 1024)
            {
                return null;
            }
            sizes.Add(size);
        }
        return sizes.Count == 0 ? null : [.. sizes];
    }
}
