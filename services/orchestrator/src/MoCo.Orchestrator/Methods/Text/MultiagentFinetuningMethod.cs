using System.Text.Json.Nodes;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;
using MoCo.Router.Training;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_multiagent_finetuning (methods-text.md §11): per iteration the debaters debate on the dev subset (round 0 by the
/// generation copies G_n, later rounds by the critic copies C_n on the summary prompt), the majority of the last round is
/// the pseudo-label, and each debater's generation and critic data (<see cref="MultiagentFinetuning.Datasets"/>) LoRA-SFT
/// its G_n and C_n (all jobs concurrently; an empty dataset leaves the copy as it is; with one round the critics are never
/// used and are not trained). At test time the copies debate on the full test split and the majority of the extracted
/// final answers is the output. Each round is one GenerateBatch per debater, all concurrently; calls and trained models
/// are keyed, so a resumed run replays them. Datasets are written to
/// `model_collaboration/logs/multiagent_finetuning/iteration_{t}/` (t from 1, as the reference) in the artifact folder.
/// </summary>
public sealed class MultiagentFinetuningMethod : ICollaborationMethod
{
    private const string Folder = "model_collaboration/logs/multiagent_finetuning";

    /// <inheritdoc/>
    public string Id => "text_multiagent_finetuning";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var names = config.ModelNames;
        var iterations = (int)hyper.Int("iterations");
        var rounds = (int)hyper.Int("rounds");
        var generators = names.ToArray();
        var critics = names.ToArray();
        var details = new JsonObject();

        if (iterations > 0)
        {
            var full = await context.Data.DevAsync(1.0, includeGold: false, cancellationToken).ConfigureAwait(false);
            var subset = MultiagentFinetuning.Subset(full.Items.Count, hyper.Number("training_ratio"), SeededRng.For(42, Id, "dev subset"));
            var dev = full with { Items = [.. subset.Select(k => full.Items[k])] };
            var trained = new JsonArray();
            for (var t = 1; t <= iterations; t++)
            {
                var debate = await DebateAsync(context, $"iteration {t}", dev, generators, critics, rounds, cancellationToken).ConfigureAwait(false);
                var data = MultiagentFinetuning.Datasets([.. dev.Items.Select(i => i.Prompt)], debate, hyper.Number("w"), () => SeededRng.For(0, Id, "critic data"));
                var folder = Path.Combine(context.ArtifactDirectory, Folder, $"iteration_{t}");
                Directory.CreateDirectory(folder);
                for (var n = 0; n < names.Count; n++)
                {
                    await File.WriteAllLinesAsync(Path.Combine(folder, $"gen_data_agent_{n}.jsonl"), data[n].Generation.Select(MultiagentFinetuning.JsonLine), cancellationToken)
                        .ConfigureAwait(false);
                    await File.WriteAllLinesAsync(Path.Combine(folder, $"critic_data_agent_{n}.jsonl"), data[n].Critic.Select(MultiagentFinetuning.JsonLine), cancellationToken)
                        .ConfigureAwait(false);
                }
                trained.Add(await TrainAsync(context, t, data, generators, critics, rounds > 1, cancellationToken).ConfigureAwait(false));
            }
            details["dev_items"] = dev.Items.Count;
            details["trained"] = trained;
        }

        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        var final = await DebateAsync(context, "test", test, generators, critics, rounds, cancellationToken).ConfigureAwait(false);
        var outputs = test.Items.Select((_, j) => MultiagentFinetuning.Majority(final.Answers[^1].Select(a => a[j]))).ToList();

        const string ScorePhase = "test · score";
        await context.Recorder.BeginPhaseAsync(ScorePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var scores = await context.Evaluation.ScoreAsync(test, outputs, OutputKind.Raw, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        for (var j = 0; j < test.Items.Count; j++)
        {
            var item = test.Items[j];
            var extras = new JsonObject
            {
                ["final_answers"] = new JsonArray([.. final.Raw[^1].Select(a => (JsonNode?)JsonValue.Create(a[j]))]),
                ["extracted"] = new JsonArray([.. final.Answers[^1].Select(a => (JsonNode?)(a[j] is { } s ? JsonValue.Create(s) : null))]),
            };
            await context.Recorder.ItemFinishedAsync(new FinishedItem("test", test.Name, item.Index, item.Id, item.Prompt, outputs[j], scores.Items[j].Parsed,
                scores.Items[j].Score, extras), cancellationToken).ConfigureAwait(false);
            logs.Add(ReferenceSummary.Item(item.Prompt, outputs[j], scores.Items[j].Score is { } s ? ReferenceSummary.Score(s) : null));
        }
        context.Recorder.Progress(ScorePhase, test.Items.Count);
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);

        details["generation_models"] = new JsonArray([.. generators.Select(g => (JsonNode?)JsonValue.Create(g))]);
        details["critic_models"] = new JsonArray([.. critics.Select(c => (JsonNode?)JsonValue.Create(c))]);
        var summary = ReferenceSummary.Named(config, "multiagent_finetuning");
        summary["avg_test_score"] = ReferenceSummary.Score(scores.Mean);
        summary["logs"] = logs;
        return new MethodOutcome(summary, scores.Mean, test.Items.Count, details);
    }

    // The debate on every item of a split: round 0 by the generation copies on the item prompt, each later round by the
    // critic copies on the summary prompt; every round's answers go through ext().
    private async Task<Debate> DebateAsync(MethodContext context, string stage, TaskSplit split, IReadOnlyList<string> generators, IReadOnlyList<string> critics,
        int rounds, CancellationToken cancellationToken)
    {
        var n = generators.Count;
        var raw = new List<IReadOnlyList<IReadOnlyList<string>>>();
        var answers = new List<IReadOnlyList<IReadOnlyList<string?>>>();
        for (var m = 0; m < rounds; m++)
        {
            var phase = $"{stage} · debate round {m}";
            var previous = m == 0 ? null : raw[m - 1];
            var requests = Enumerable.Range(0, n).Select(i => (IReadOnlyList<GenerationRequest>)[.. split.Items.Select((item, j) => previous is null
                ? ChatPrompts.ForItem(context.Site(phase, $"generation/{i}"), split, item)
                : ChatPrompts.ForPrompt(context.Site(phase, $"critic/{i}"), ChatPrompts.ItemKey(split, item), m,
                    MultiagentFinetuning.CriticPrompt(item.Prompt, CandidateList.Others(n, i).Select(k => previous[k][j]), previous[i][j])))]).ToList();
            var results = await TeamGeneration.PhaseAsync(context, phase, m == 0 ? generators : critics, requests, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<IReadOnlyList<string>> texts = [.. results.Select(TeamGeneration.Texts)];
            raw.Add(texts);
            var extracted = new List<IReadOnlyList<string?>>();
            foreach (var model in texts)
            {
                extracted.Add(await ExtAsync(context, split, model, cancellationToken).ConfigureAwait(false));
            }
            answers.Add(extracted);
        }
        return new Debate(raw, answers);
    }

    // ext(): the evaluator's Parse for multiple choice (letter or null) and exact/F1 (answer text); trimmed raw text otherwise.
    private static async Task<IReadOnlyList<string?>> ExtAsync(MethodContext context, TaskSplit split, IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
        context.Config.TaskType is "multiple_choice" or "exact_match" or "f1_match"
            ? await context.Evaluation.ParseAsync(split, texts, cancellationToken).ConfigureAwait(false)
            : [.. texts.Select(t => (string?)t.Trim())];

    // Step 6: G_n ← SFT(G_n, DG_n) and C_n ← SFT(C_n, DC_n) for the non-empty datasets, all jobs concurrently; returns the
    // iteration's models for the log's details.
    private async Task<JsonObject> TrainAsync(MethodContext context, int t, IReadOnlyList<DebaterData> data, string[] generators, string[] critics, bool trainCritics,
        CancellationToken cancellationToken)
    {
        var training = context.Training
            ?? throw new InvalidOperationException($"{Id} fine-tunes its debaters (LoRA SFT), which this run's services do not offer; set iterations to 0 to debate untrained");
        var hyper = context.Config.Hyperparameters;
        var settings = new TrainingSettings((int)hyper.Int("sft_batch_size"), (int)hyper.Int("sft_grad_accum"), hyper.Number("sft_learning_rate"), (int)hyper.Int("sft_epochs"));
        var phase = $"iteration {t} · sft";
        var jobs = new List<(string[] Copies, int Debater, Task<TrainedModel> Job)>();
        var count = data.Count(d => d.Generation.Count > 0) + (trainCritics ? data.Count(d => d.Critic.Count > 0) : 0);
        await context.Recorder.BeginPhaseAsync(phase, "jobs", count, cancellationToken).ConfigureAwait(false);
        for (var n = 0; n < data.Count; n++)
        {
            if (data[n].Generation.Count > 0)
            {
                jobs.Add((generators, n, training.SftAsync(context.Site(phase, $"generation/{n}"), generators[n], data[n].Generation, settings, cancellationToken)));
            }
            if (trainCritics && data[n].Critic.Count > 0)
            {
                jobs.Add((critics, n, training.SftAsync(context.Site(phase, $"critic/{n}"), critics[n], data[n].Critic, settings, cancellationToken)));
            }
        }
        await Task.WhenAll(jobs.Select(j => j.Job)).ConfigureAwait(false);
        foreach (var (copies, debater, job) in jobs)
        {
            copies[debater] = (await job.ConfigureAwait(false)).ModelId;
            var role = ReferenceEquals(copies, generators) ? "gen" : "critic";
            await TrainedModelFolders.ExportAsync(context, copies[debater], $"{Folder}/iteration_{t}/{role}_model_agent_{debater}", cancellationToken).ConfigureAwait(false);
        }
        await context.Recorder.EndPhaseAsync(phase, null, cancellationToken).ConfigureAwait(false);
        return new JsonObject
        {
            ["iteration"] = t,
            ["generation_models"] = new JsonArray([.. generators.Select(g => (JsonNode?)JsonValue.Create(g))]),
            ["critic_models"] = new JsonArray([.. critics.Select(c => (JsonNode?)JsonValue.Create(c))]),
        };
    }
}
