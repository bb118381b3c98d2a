using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using MoCo.Models.Catalog;
using MoCo.Models.Tokenization;
using MoCo.Native;
using MoCo.Native.Models;
using MoCo.Zoo.Checkpoints;
using MoCo.Zoo.Suite;
using MoCo.Zoo.Tokenizer;

namespace MoCo.Zoo.Build;

/// <summary>
/// `moco zoo build`: regenerates the task suite, trains the tokenizer, initialises and trains every zoo model in
/// order, scores each on every domain's test split, and writes the catalogue, the scores file and the model cards.
/// </summary>
public static class ZooBuilder
{
    /// <summary>The scores file beside the models.</summary>
    public const string ScoresFile = "zoo-scores.json";

    /// <summary>The zoo model that rates and verifies (its accuracy is measured as well as its scores).</summary>
    public const string JudgeModel = "judge";

    /// <summary>Test items per domain re-scored by CI against the recorded scores.</summary>
    public const int CheckItems = 16;

    /// <summary>Runs the whole build; <paramref name="log"/> receives progress lines.</summary>
    public static async Task<JsonObject> BuildAsync(ZooBuildOptions options, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        var suite = new TaskSuite(options.Seed);
        foreach (var path in suite.Write(options.DataDirectory))
        {
            log($"data: {path}");
        }

        var vocabulary = ByteLevelBpeTrainer.Train(ZooRecipes.TokenizerCorpus(suite), ZooRecipes.VocabularySize, CheckpointWriter.SpecialTokens);
        log($"tokenizer: {vocabulary.Size} entries, {vocabulary.Merges.Count} merges ({clock.Elapsed.TotalSeconds:F0} s)");
        var work = Directory.CreateTempSubdirectory("moco-zoo-");
        try
        {
            CheckpointWriter.WriteTokenizerFiles(work.FullName, vocabulary);
            var encoder = new ChatEncoder(HfTokenizer.FromDirectory(work.FullName));
            var endToken = vocabulary.SpecialId(CheckpointWriter.EndToken);
            using var context = MocoContext.Create("cpu", options.Threads);
            var scorer = new DomainScorer();
            var scores = new JsonObject();
            var training = new JsonObject();
            var catalogue = CatalogueFile.Load(CatalogueFile.PathIn(options.ModelsDirectory));
            Directory.CreateDirectory(options.ModelsDirectory);
            var index = 0;
            var recorded = ReadRecorded(options.ModelsDirectory);
            var models = ZooRecipes.Models(suite);
            if (options.Only?.FirstOrDefault(n => models.All(m => m.Name != n)) is { } unknown)
            {
                throw new InvalidOperationException($"--only: no zoo model named {unknown}; the zoo has {string.Join(", ", models.Select(m => m.Name))}");
            }
            foreach (var model in models)
            {
                var target = Path.Combine(options.ModelsDirectory, model.Name);
                if (options.Only is { Count: > 0 } only && !only.Contains(model.Name))
                {
                    if (recorded?["scores"]?[model.Name] is not JsonObject kept || recorded["training"]?[model.Name] is not JsonObject keptTraining)
                    {
                        throw new InvalidOperationException($"--only: {ScoresFile} has no record of zoo/{model.Name}; build it too");
                    }
                    log($"{model.Name}: kept as built");
                    scores[model.Name] = kept.DeepClone();
                    training[model.Name] = keptTraining.DeepClone();
                    catalogue.Set(model.Name, new CatalogueEntry(model.Name, null, model.Kind));
                    index++;
                    continue;
                }
                if (options.Rescore)
                {
                    training[model.Name] = recorded?["training"]?[model.Name]?.DeepClone()
                        ?? throw new InvalidOperationException($"--rescore: {ScoresFile} has no training record of zoo/{model.Name}; build it");
                    log($"{model.Name}: re-scored as built");
                    catalogue.Set(model.Name, new CatalogueEntry(model.Name, null, model.Kind));
                    scores[model.Name] = await ScoreModelAsync(context, options.ModelsDirectory, model, suite, encoder, endToken, scorer, options.ScoreItems, log, cancellationToken).ConfigureAwait(false);
                    index++;
                    continue;
                }
                string from;
                if (model.From is { } parent)
                {
                    from = Path.Combine(options.ModelsDirectory, parent);
                }
                else
                {
                    from = Path.Combine(work.FullName, "init-" + model.Name);
                    CheckpointWriter.WriteInitial(from, model.Shape!, vocabulary, options.Seed + (ulong)index);
                }
                var examples = model.Data(suite).Select(encoder.Encode).ToList();
                var recipe = model.Recipe.Scaled(options.Scale);
                log($"{model.Name}: {model.Purpose}; {recipe.Steps} steps x {recipe.BatchSize} from {model.From ?? "a seeded init"}");
                var report = TrainingRun.Run(context, from, target, examples, recipe, options.Seed + (ulong)index, log, model.Adapter ? "zoo/" + model.From : null);
                log($"{model.Name}: loss {report.FirstLoss:F3} -> {report.LastLoss:F3}, {report.Tokens} tokens in {report.Seconds:F0} s ({report.TokensPerSecond:F0} tok/s)");
                training[model.Name] = new JsonObject
                {
                    ["steps"] = report.Steps,
                    ["tokens"] = report.Tokens,
                    ["seconds"] = Math.Round(report.Seconds, 1),
                    ["tokens_per_second"] = Math.Round(report.TokensPerSecond),
                    ["first_loss"] = Math.Round(report.FirstLoss, 4),
                    ["last_loss"] = Math.Round(report.LastLoss, 4),
                };
                catalogue.Set(model.Name, new CatalogueEntry(model.Name, null, model.Kind));
                scores[model.Name] = await ScoreModelAsync(context, options.ModelsDirectory, model, suite, encoder, endToken, scorer, options.ScoreItems, log, cancellationToken).ConfigureAwait(false);
                index++;
            }
            catalogue.Save();
            var judge = JudgeReport(context, options, suite, encoder, endToken, recorded, log);
            var result = new JsonObject
            {
                ["seed"] = options.Seed,
                ["scale"] = options.Scale,
                ["split"] = "test",
                ["items"] = options.ScoreItems,
                ["check_items"] = CheckItems,
                ["scores"] = scores,
                ["judge"] = judge,
                ["training"] = training,
                ["build_seconds"] = Math.Round(clock.Elapsed.TotalSeconds),
            };
            File.WriteAllText(Path.Combine(options.ModelsDirectory, ScoresFile), result.ToJsonString(new() { WriteIndented = true }).ReplaceLineEndings("\n") + "\n");
            foreach (var model in models)
            {
                WriteCard(options.ModelsDirectory, model, suite, scores[model.Name]!.AsObject(), training[model.Name]!.AsObject(), model.Name == JudgeModel ? judge : null);
            }
            log(Table(suite, scores));
            log($"zoo built in {clock.Elapsed.TotalMinutes:F1} min");
            return result;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>zoo/judge's accuracy (<see cref="JudgeAccuracy"/>) when this build trained or re-scored it, else as recorded.</summary>
    private static JsonNode? JudgeReport(MocoContext context, ZooBuildOptions options, TaskSuite suite, ChatEncoder encoder, int endToken, JsonObject? recorded,
        Action<string> log)
    {
        if (options.Only is { Count: > 0 } only && !only.Contains(JudgeModel))
        {
            return recorded?["judge"]?.DeepClone();
        }
        var trained = ZooRecipes.Models(suite).Single(m => m.Name == JudgeModel).Data(suite).Select(p => p.Prompt).ToHashSet(StringComparer.Ordinal);
        using var model = MocoModel.Load(context, Path.Combine(options.ModelsDirectory, JudgeModel));
        var accuracy = JudgeAccuracy.Measure(model, encoder, endToken, suite, options.ScoreItems, CheckItems, trained);
        foreach (var (task, row) in accuracy)
        {
            log($"    {JudgeModel} on {task}: rating {(double)row!["rating"]!:F3}, verification {(double)row["verification"]!:F3} (prompts seen in training {(double)row["seen_in_training"]!:F3})");
        }
        return new JsonObject { ["items"] = options.ScoreItems, ["by_task"] = accuracy };
    }

    private static JsonObject? ReadRecorded(string modelsDirectory)
    {
        var path = Path.Combine(modelsDirectory, ScoresFile);
        return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))?.AsObject() : null;
    }

    /// <summary>Scores one zoo model (an adapter on its base) on every domain: the first <paramref name="items"/> test
    /// items, and the mean of the first <see cref="CheckItems"/> of them (the subset CI re-checks).</summary>
    public static async Task<JsonObject> ScoreModelAsync(MocoContext context, string modelsDirectory, ZooModel zooModel, TaskSuite suite, ChatEncoder encoder, int endToken,
        DomainScorer scorer, int items, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(zooModel);
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(log);
        var directory = Path.Combine(modelsDirectory, zooModel.Name);
        using var model = MocoModel.Load(context, zooModel.Adapter ? Path.Combine(modelsDirectory, zooModel.From!) : directory);
        using var adapter = zooModel.Adapter ? model.LoadAdapter(directory) : null;
        var result = new JsonObject();
        foreach (var domain in suite.Domains)
        {
            var test = suite.Splits(domain).Test.Take(items).ToList();
            var (scores, _) = await scorer.ScoreAsync(model, encoder, endToken, domain, test, cancellationToken, adapter).ConfigureAwait(false);
            // A sequence's greedy output does not depend on its batch (libmoco's forward is batch-invariant), so the
            // subset's score is the mean of its items' scores here.
            var check = scores.Take(CheckItems).ToList();
            var byDomain = new JsonObject();
            foreach (var group in test.Select((item, i) => (Domain: (string?)item["domain"], Score: scores[i])).Where(x => x.Domain is not null)
                .GroupBy(x => x.Domain!).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                byDomain[group.Key] = Math.Round(group.Average(x => x.Score), 4);
            }
            result[domain.Task] = new JsonObject
            {
                ["score"] = Math.Round(scores.Average(), 4),
                ["check"] = Math.Round(check.Average(), 4),
                ["by_domain"] = byDomain,
            };
            log($"    {Path.GetFileName(directory)} on {domain.Task}: {scores.Average():F3}");
        }
        return result;
    }

    /// <summary>The per-domain score table (models as rows).</summary>
    public static string Table(TaskSuite suite, JsonObject scores)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(scores);
        var text = new StringBuilder();
        text.Append("| model |");
        foreach (var domain in suite.Domains)
        {
            text.Append(CultureInfo.InvariantCulture, $" {domain.Task} ({domain.TaskType}) |");
        }
        text.Append("\n|---|").Append(string.Concat(Enumerable.Repeat("---|", suite.Domains.Count))).Append('\n');
        foreach (var (name, row) in scores)
        {
            text.Append(CultureInfo.InvariantCulture, $"| zoo/{name} |");
            foreach (var domain in suite.Domains)
            {
                text.Append(CultureInfo.InvariantCulture, $" {(double)row![domain.Task]!["score"]!:F3} |");
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void WriteCard(string modelsDirectory, ZooModel model, TaskSuite suite, JsonObject scores, JsonObject training, JsonNode? judge)
    {
        var card = new StringBuilder();
        card.Append(CultureInfo.InvariantCulture, $"# zoo/{model.Name}\n\n{char.ToUpperInvariant(model.Purpose[0])}{model.Purpose[1..]}.\n\n");
        card.Append("Generated by `moco zoo build` (tools/MoCo.Zoo); do not edit. ");
        card.Append(model.Adapter
            ? $"A PEFT LoRA adapter (adapter_config.json, adapter_model.safetensors) of zoo/{model.From}, whose tokenizer and chat template it uses.\n\n"
            : "A LlamaForCausalLM with tied embeddings, BF16, the project's own byte-level BPE tokenizer and a chat template whose turns end with `<|end|>`.\n\n");
        card.Append(CultureInfo.InvariantCulture, $"Trained from {(model.From is { } f ? "zoo/" + f : "a seeded random initialisation")}: ");
        card.Append(CultureInfo.InvariantCulture, $"{training["steps"]} {(model.Adapter ? "LoRA" : "full fine-tuning")} steps, {training["tokens"]} tokens, loss {training["first_loss"]} -> {training["last_loss"]}.\n\n");
        card.Append("Greedy test-split scores (the evaluator's scorers, `moco` compatibility):\n\n| task | type | score |\n|---|---|---|\n");
        foreach (var domain in suite.Domains)
        {
            card.Append(CultureInfo.InvariantCulture, $"| {domain.Task} | {domain.TaskType} | {(double)scores[domain.Task]!["score"]!:F3} |\n");
        }
        if (judge?["by_task"] is JsonObject accuracy)
        {
            card.Append(CultureInfo.InvariantCulture, $"\nAs a judge, on {judge["items"]} test items per task, each paired alternately with its own ideal response and ");
            card.Append("another item's (right when it rates above 5, or verifies Yes, exactly the right ones):\n\n");
            card.Append("| task | rating accuracy | verification accuracy | prompts seen in training |\n|---|---|---|---|\n");
            foreach (var (task, row) in accuracy)
            {
                card.Append(CultureInfo.InvariantCulture, $"| {task} | {(double)row!["rating"]!:F3} | {(double)row["verification"]!:F3} | {(double)row["seen_in_training"]!:F3} |\n");
            }
        }
        File.WriteAllText(Path.Combine(modelsDirectory, model.Name, "README.md"), card.ToString());
    }
}
