using System.Text.Json.Nodes;
using MoCo.Contracts.V1;
using MoCo.Hosting;
using MoCo.Hosting.Concurrency;
using MoCo.Hosting.Errors;
using MoCo.Router.Decoding;
using MoCo.Router.Evaluation;
using MoCo.Router.Routing;
using MoCo.Router.Training;

namespace MoCo.Router.Service;

/// <summary>
/// TrainRouter for api_collm (methods-api.md §0.11 "deferral model", §8 training) as a run trains it
/// (<see cref="CoLlmDeferralData"/>): the first training_num rows of the named training set (the request's data_dirs,
/// then the service's data path), both models' scores of each row's completion, the deferral labels, one
/// COLLM_DEFERRAL job on the generator; the stored router is the trained generator with its deferral id, which
/// Complete decodes with. A training set named like the task is the task's own dev split from the evaluator, each item's
/// gold in the form its prompt asks for as the solution, as a run trains on it.
/// </summary>
public sealed class CoLlmFit(IRouterModels models, IDecodeBackend decoding, IRouterTrainer? trainer = null, IRouterDevData? devData = null)
{
    // Rows scored at once per model.
    private const int Concurrency = 16;

    /// <summary>The stored router's payload (generator, defer_id) and its artifact, the trained generator's id;
    /// <paramref name="progress"/> hears the scoring and each optimizer step.</summary>
    public async Task<(JsonObject Payload, string Artifact)> FitAsync(RouterContext context, IReadOnlyList<string> dataDirs, string routerId,
        Func<Progress, Task> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(dataDirs);
        ArgumentNullException.ThrowIfNull(progress);
        if (context.ModelNames.Count != 2)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.model_names", "WRONG_LENGTH", $"api_collm takes exactly 2 models, got {context.ModelNames.Count}",
                new Dictionary<string, string> { ["fix"] = "send [generator, mentor]" }));
        }
        var (generator, mentor) = (context.ModelNames[0], context.ModelNames[1]);
        var (dataset, split, count, maxLength) = RouterSettings.CoLlmTraining(context);
        var rows = await RowsAsync(context, dataDirs, dataset, split, count, cancellationToken).ConfigureAwait(false);
        var scorer = trainer ?? throw new InvalidOperationException("api_collm's fit trains a model, and this CoLlmFit was built without a trainer");

        var completions = await Task.WhenAll(rows.Select(r => CoLlmDeferralData.CompletionAsync(decoding, generator, r, cancellationToken))).ConfigureAwait(false);
        try
        {
            await CoLlmDeferralData.CheckSharedTokenizerAsync(decoding, generator, mentor, rows[0], cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.model_names", "TOKENIZERS_DIFFER", e.Message,
                new Dictionary<string, string> { ["fix"] = "pick a generator and a mentor that share one tokenizer and chat template" }));
        }
        Task<ContinuationScore[]> ScoreAsync(string model) => Bounded.SelectAsync(rows, Concurrency, (row, i) => scorer.ScoreContinuationAsync(model,
            CoLlmDecoding.SystemMessage, CoLlmDecoding.User(row.Problem), completions[i], $"{context.RunId}/collm/{model}/{row.Id}", cancellationToken),
            cancellationToken);
        var (own, mentors) = (await ScoreAsync(generator).ConfigureAwait(false), await ScoreAsync(mentor).ConfigureAwait(false));
        await progress(new Progress { Phase = ApiCallSites.CoLlmScorePhase, Done = 2 * rows.Count, Total = 2 * rows.Count }).ConfigureAwait(false);

        var examples = CoLlmDeferralData.Examples(rows, completions, own, mentors, maxLength).Select(e => DeferralJobs.Example(e.Example)).ToList();
        if (examples.Count == 0)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.max_sequence_length", "NO_TRAINABLE_ROW",
                $"none of the {rows.Count} training rows fits max_sequence_length {maxLength} and the models' context",
                new Dictionary<string, string> { ["fix"] = "raise max_sequence_length or use shorter rows" }));
        }
        var job = DeferralJobs.Create(new DeferralSettings(CoLlmDeferralData.DeferToken, maxLength));
        job.BaseModel = generator;
        var fingerprints = await Task.WhenAll(models.FingerprintAsync(generator, cancellationToken), models.FingerprintAsync(mentor, cancellationToken))
            .ConfigureAwait(false);
        var trained = await RouterJobs.TrainAsync(scorer, job, examples, routerId, fingerprints, ApiCallSites.CoLlmTrainPhase, progress, cancellationToken)
            .ConfigureAwait(false);
        var deferId = await CoLlmDeferralData.DeferIdAsync(decoding, trained, cancellationToken).ConfigureAwait(false);
        return (new JsonObject { ["kind"] = "collm", ["generator"] = trained, ["defer_id"] = deferId }, trained);
    }

    // The first rows of the named set: the task's own dev split (from the evaluator, with gold), or a set in the request's
    // folders or on the service's data path.
    private async Task<IReadOnlyList<CoLlmRow>> RowsAsync(RouterContext context, IReadOnlyList<string> dataDirs, string dataset, string split, int count,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<CoLlmRow> rows = dataset == context.Task
            ? await OwnTaskRowsAsync(context, dataDirs, split, count, cancellationToken).ConfigureAwait(false)
            : NamedRows(dataDirs, dataset, split, count);
        return rows.Count > 0 ? rows : throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.training_num", "NO_ROWS",
            $"the training set {dataset} ({split}) gives no rows with a solution", new Dictionary<string, string> { ["fix"] = "give it rows or raise training_num" }));
    }

    private async Task<IReadOnlyList<CoLlmRow>> OwnTaskRowsAsync(RouterContext context, IReadOnlyList<string> dataDirs, string split, int count,
        CancellationToken cancellationToken)
    {
        if (split != RouterItems.DevSplit)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.training_split", "INVALID_VALUE",
                $"\"{split}\": training on the task {context.Task} uses its dev split (the test split is what it is scored on)",
                new Dictionary<string, string> { ["fix"] = "set training_split to \"dev\", or name another training set" }));
        }
        var request = new LoadDatasetRequest { Task = context.Task, Split = Split.Dev, IncludeGold = true };
        if (context.TaskType.Length > 0)
        {
            request.TaskType = context.TaskType;
        }
        request.DataDirs.Add(dataDirs);
        var data = devData ?? throw new InvalidOperationException("training on the task's dev split reads it from the evaluator, and this CoLlmFit was built without one");
        var (info, items) = await data.LoadAsync(request, cancellationToken).ConfigureAwait(false);
        return [.. items.Take(count).Select((item, i) =>
        {
            var (gold, text) = GoldForms.Of(item.Gold);
            return new CoLlmRow(CoLlmRows.Id(split, i), item.Prompt, CoLlmRows.Solution(info.EffectiveType, gold, text), new JsonObject());
        }).Where(r => r.Solution.Length > 0)];
    }

    private static List<CoLlmRow> NamedRows(IReadOnlyList<string> dataDirs, string dataset, string split, int count)
    {
        List<CoLlmRow> rows;
        try
        {
            rows = [.. CoLlmRows.Read(dataset, split, [.. dataDirs, .. new MocoEnvironment().DataDirectories]).Take(count)];
        }
        catch (InvalidOperationException e)
        {
            throw MocoErrors.InvalidArgument(new Problem("context.hyperparameters.training_dataset_name", "NOT_FOUND", e.Message,
                new Dictionary<string, string> { ["fix"] = "put the set's rows on the data path or send its folder in data_dirs" }));
        }
        return rows;
    }
}
