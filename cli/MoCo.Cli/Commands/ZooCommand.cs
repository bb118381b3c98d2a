using System.CommandLine;
using MoCo.Hosting;
using MoCo.Native;
using MoCo.Zoo.Build;
using MoCo.Zoo.Suite;

namespace MoCo.Cli.Commands;

/// <summary>`moco zoo build` (config-and-cli.md §4): regenerates the bundled task suite (data/) and the model zoo
/// (models/) from seeds with libmoco's trainer, and prints every model's per-domain scores.</summary>
public static class ZooCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var command = new Command("zoo", "The bundled task suite (data/zoo_*.json) and model zoo (models/, zoo/<name> in configs).");
        command.Subcommands.Add(BuildCommand());
        return command;
    }

    private static Command BuildCommand()
    {
        var output = new Option<string?>("--out") { Description = "Folder that receives data/ and models/ (default: the installation, i.e. the repository root)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the suite, the tokenizer and every initialisation.", DefaultValueFactory = _ => TaskSuite.DefaultSeed };
        var threads = new Option<int>("--threads") { Description = "libmoco threads (0 = every core).", DefaultValueFactory = _ => 0 };
        var scale = new Option<double>("--scale") { Description = "Multiplies every model's training steps (1 = the committed zoo; 0.05 = a quick trial).", DefaultValueFactory = _ => 1.0 };
        var items = new Option<int>("--items") { Description = "Test items per domain scored for the model cards (1-200).", DefaultValueFactory = _ => 200 };
        var only = new Option<string[]>("--only") { Description = "Retrain only these zoo models (repeatable); the others keep their files and recorded scores.", AllowMultipleArgumentsPerToken = true };
        var rescore = new Option<bool>("--rescore") { Description = "Train nothing: score the --only models (default every model) from their committed files again, keeping their training records." };
        var check = new Option<bool>("--check") { Description = "Only regenerate the suite in memory and compare it with the committed data/ files (exit 1 on a difference); trains nothing." };
        var command = new Command("build",
            "Regenerate data/zoo_*.json and every zoo model from seeds (tokenizer, base, specialists, a smaller model, a judge), " +
            "then print each model's per-domain test scores. Writes models/catalogue.json, models/zoo-scores.json and a README.md " +
            "card per model. Exit 1 if a step fails.")
        {
            output, seed, threads, scale, items, only, rescore, check,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var root = Path.GetFullPath(parse.GetValue(output) ?? new MocoEnvironment().InstallDirectory);
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (parse.GetValue(check))
            {
                return Check(root, parse.GetValue(seed), stdout, stderr);
            }
            if (parse.GetValue(scale) is <= 0 or > 100)
            {
                stderr.WriteLine("error: --scale must be in (0, 100]");
                return ExitCodes.Usage;
            }
            if (parse.GetValue(items) is < 1 or > 200)
            {
                stderr.WriteLine("error: --items must be in 1..200");
                return ExitCodes.Usage;
            }
            try
            {
                await ZooBuilder.BuildAsync(new ZooBuildOptions(Path.Combine(root, "data"), Path.Combine(root, "models"), parse.GetValue(seed),
                    parse.GetValue(threads), parse.GetValue(scale), parse.GetValue(items), parse.GetValue(only), parse.GetValue(rescore)), stdout.WriteLine, cancel).ConfigureAwait(false);
                return ExitCodes.Success;
            }
            catch (Exception e) when (e is MocoException or IOException or InvalidOperationException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static int Check(string root, ulong seed, TextWriter stdout, TextWriter stderr)
    {
        var suite = new TaskSuite(seed);
        var differences = 0;
        foreach (var domain in suite.Domains)
        {
            var path = Path.Combine(root, "data", domain.Task + ".json");
            var same = File.Exists(path) && File.ReadAllText(path) == suite.DatasetText(domain);
            (same ? stdout : stderr).WriteLine($"{(same ? "same" : "DIFFERS")}: {path}");
            differences += same ? 0 : 1;
        }
        return differences == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }
}
