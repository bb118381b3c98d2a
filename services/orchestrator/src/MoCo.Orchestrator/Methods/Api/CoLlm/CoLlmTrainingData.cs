using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Router.Decoding;

namespace MoCo.Orchestrator.Methods.Api.CoLlm;

/// <summary>
/// Where api_collm's `training_dataset_name` comes from, resolved locally (the reference downloads it from the Hub): the
/// run's own task — its `training_split` must then be "dev", since training on test would leak the answers — gives each
/// item's formatted prompt as the problem and its gold answer, in the form the prompt asks for, as the solution; any other name is a folder or file on the
/// data path (the config's `evaluation.data_dirs`, then MOCO_DATA_DIR and the default folders): `{name}/{split}.jsonl`,
/// `{name}/{split}.json` (an array) or `{name}.json` (an object of splits), rows with `problem` and `solution`. The
/// first `training_num` rows are used, in order, as the reference does.
/// </summary>
public static class CoLlmTrainingData
{
    /// <summary>The split a MoCo task offers for training.</summary>
    public const string TaskSplit = "dev";

    /// <summary>The rows of the config's training set.</summary>
    public static async Task<IReadOnlyList<CoLlmRow>> LoadAsync(MethodContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var name = hyper.String("training_dataset_name")!;
        var split = hyper.String("training_split")!;
        var count = (int)hyper.Int("training_num");
        if (name == config.Task)
        {
            if (split != TaskSplit)
            {
                throw new InvalidOperationException($"hyperparameters.training_split \"{split}\": training on the run's own task {name} uses its dev split " +
                    "(the test split is what the run is scored on); set training_split to \"dev\"");
            }
            var dev = await context.Data.DevAsync(1.0, includeGold: true, cancellationToken).ConfigureAwait(false);
            return [.. dev.Items.Take(count).Select((item, i) => new CoLlmRow(CoLlmRows.Id(split, i), item.Prompt, Solution(config.TaskType, item), new JsonObject()))
                .Where(r => r.Solution.Length > 0)];
        }
        return [.. CoLlmRows.Read(name, split, Search(config)).Take(count)];
    }

    /// <summary>A task item's solution in the form its prompt asks for (<see cref="CoLlmRows.Solution"/>).</summary>
    public static string Solution(string taskType, MoCo.Orchestrator.Methods.Primitives.TaskItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return CoLlmRows.Solution(taskType, item.Gold, item.GoldText);
    }

    /// <summary>The folders searched for a named training set, in order.</summary>
    public static IReadOnlyList<string> Search(RunConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var own = config.Evaluation.DataDirs.Select(d => Path.IsPathRooted(d) || config.ConfigDirectory is null ? d : Path.Combine(config.ConfigDirectory, d));
        return [.. own, .. new MoCo.Hosting.MocoEnvironment().DataDirectories];
    }
}
