using System.CommandLine;
using System.Text.Json;
using Grpc.Core;
using MoCo.Contracts.V1;
using MoCo.Evaluator.Datasets;
using MoCo.Evaluator.Errors;
using MoCo.Evaluator.Prompts;
using MoCo.Evaluator.Service;
using MoCo.Evaluator.Tasks;
using MoCo.Evaluator.Views;
using MoCo.Hosting;

namespace MoCo.Cli.Commands;

/// <summary>`moco tasks list|show` (config-and-cli.md §4.1): the datasets of the data path — --data-dir, then
/// MOCO_DATA_DIR, $MOCO_HOME/data and the bundled data — read by the evaluator's own loader and prompt builder.</summary>
public static class TasksCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the command.</summary>
    public static Command Build()
    {
        var dataDir = new Option<string[]>("--data-dir") { Description = "Dataset folder searched first (repeatable).", Recursive = true };
        var command = new Command("tasks",
            "List datasets and show their prompts. A task is a MoCo-format JSON file (gsm8k = gsm8k.json) in the data path. " +
            "Exit 2 for an unknown task or split, or a dataset whose items do not fit the task type.")
        {
            dataDir,
        };
        command.Subcommands.Add(List(dataDir));
        command.Subcommands.Add(Show(dataDir));
        return command;
    }

    private static ViewResolver Views(ParseResult parse, Option<string[]> dataDir) =>
        new(new DatasetLocator([.. (parse.GetValue(dataDir) ?? []).Select(Path.GetFullPath), .. new MocoEnvironment().DataDirectories]), new DatasetCache());

    private static Command List(Option<string[]> dataDir)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON array." };
        var command = new Command("list", "Every dataset of the data path: declared and compatible task types, dev/test sizes, warnings, folder.") { json };
        command.SetAction(parse => Run(parse, () =>
        {
            var rows = new DatasetCatalog(Views(parse, dataDir)).List([]).Select(Row).ToList();
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(rows, JsonOptions));
                return ExitCodes.Success;
            }
            // Plain aligned columns: readable in a terminal and in a pipe alike, never wrapped.
            string[] header = ["task", "type", "dev", "test", "warnings", "folder", "also fits"];
            var lines = rows.Select(r => new[]
            {
                r.Task, r.DeclaredType, Count(r.Dev), Count(r.Test), Count(r.Warnings), r.Folder,
                string.Join(", ", r.CompatibleTypes.Where(t => t != r.DeclaredType)),
            }).Prepend(header).ToList();
            var widths = Enumerable.Range(0, header.Length).Select(c => lines.Max(l => l[c].Length)).ToArray();
            foreach (var line in lines)
            {
                output.WriteLine(string.Join("  ", line.Select((cell, c) => c == line.Length - 1 ? cell : cell.PadRight(widths[c]))).TrimEnd());
            }
            output.WriteLine($"{rows.Count} dataset{(rows.Count == 1 ? "" : "s")}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command Show(Option<string[]> dataDir)
    {
        var task = new Argument<string>("task") { Description = "Task name (file stem) or a path ending in .json." };
        var split = new Option<string>("--split") { Description = "dev or test.", DefaultValueFactory = _ => "test" };
        split.AcceptOnlyFromAmong("dev", "test");
        var count = new Option<int>("-n") { Description = "How many items to show (from the first).", DefaultValueFactory = _ => 3 };
        var taskType = new Option<string?>("--task-type") { Description = $"Format the prompts as this task type instead of the file's ({TaskTypeNames.Joined})." };
        var command = new Command("show", "Print the formatted prompts of a dataset's first items, as the evaluated models receive them.")
        {
            task, split, count, taskType,
        };
        command.SetAction(parse => Run(parse, () =>
        {
            var request = new LoadDatasetRequest
            {
                Task = parse.GetValue(task)!,
                Split = parse.GetValue(split) == "dev" ? Split.Dev : Split.Test,
                TaskType = parse.GetValue(taskType),
                Limit = Math.Max(1, parse.GetValue(count)),
            };
            var view = Views(parse, dataDir).Open(ViewRequest.From(request));
            var prompts = new PromptBuilder(PromptTexts.Default);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"{view.File.Task} {view.Split.Name()} · {view.Type.Name()} · {view.Items.Count} items · metric {view.Metric} · {view.File.Path}");
            for (var position = 0; position < view.Indices.Length; position++)
            {
                var item = view.At(position);
                output.WriteLine();
                output.WriteLine($"── [{item.Index}] id {item.Id} ──");
                output.WriteLine(prompts.Build(view.Type, item));
            }
            return ExitCodes.Success;
        }));
        return command;
    }

    private static int Run(ParseResult parse, Func<int> action)
    {
        var error = parse.InvocationConfiguration.Error;
        try
        {
            return action();
        }
        catch (EvaluatorException e)
        {
            foreach (var line in e.Message.Split('\n'))
            {
                error.WriteLine($"error: {line}");
            }
            return e.Code is StatusCode.NotFound or StatusCode.InvalidArgument ? ExitCodes.Usage : ExitCodes.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static string Count(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static TaskRow Row(DatasetSummary d) => new(d.Task, d.DeclaredType, [.. d.CompatibleTypes], d.NDev, d.NTest, d.WarningCount,
        Path.GetDirectoryName(d.File) ?? "", d.File, d.Status);

    /// <summary>One dataset as `tasks list --json` prints it.</summary>
    public sealed record TaskRow(string Task, string DeclaredType, IReadOnlyList<string> CompatibleTypes, int Dev, int Test, int Warnings,
        string Folder, string File, string Status);
}
